import http from 'node:http';
import Docker from 'dockerode';

/** The Docker host the bench talks to; DOCKER_HOST wins, as for docker and berth. */
export function dockerHost(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/**
 * A dockerode client over the local socket with a keep-alive agent: the raw baseline reuses
 * connections the way a long-lived control plane would, so it is the engine's own limit.
 */
export function engineClient(keepAlive = true): Docker {
  const host = dockerHost();
  if (!host.startsWith('unix://') && !host.startsWith('/')) {
    throw new Error(`the bench drives a local engine over its Unix socket; DOCKER_HOST=${host} is not supported`);
  }
  const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : host;
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 64 }) : undefined;
  return new Docker({ socketPath, ...(agent ? { agent } : {}) });
}
