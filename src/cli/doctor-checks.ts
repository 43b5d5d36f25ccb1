import { constants, existsSync, statSync } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BerthConfig } from '../config/schema.js';
import { formatBytes } from './format.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** The Docker socket from the config's docker.host, when it is a local unix socket. */
export function socketPath(dockerHost: string): string | undefined {
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  if (dockerHost.startsWith('/')) return dockerHost;
  return undefined;
}

/** Can this user open the engine's socket? (The daemon needs read and write on it.) */
export async function checkSocket(dockerHost: string): Promise<Check> {
  const socket = socketPath(dockerHost);
  if (!socket) return { name: 'socket', status: 'ok', detail: `${dockerHost} is not a local socket; nothing to check here` };
  if (!existsSync(socket)) {
    return { name: 'socket', status: 'fail', detail: `${socket} does not exist`, fix: 'start the engine (`bash scripts/ensure-docker.sh`, or `sudo systemctl start docker`), or point DOCKER_HOST at a running one' };
  }
  if (!statSync(socket).isSocket()) return { name: 'socket', status: 'fail', detail: `${socket} is not a socket`, fix: 'set DOCKER_HOST to the engine socket, e.g. unix:///var/run/docker.sock' };
  try {
    await access(socket, constants.R_OK | constants.W_OK);
    return { name: 'socket', status: 'ok', detail: `${socket} is readable and writable by ${os.userInfo().username}` };
  } catch {
    const mode = (statSync(socket).mode & 0o777).toString(8);
    return {
      name: 'socket', status: 'fail', detail: `${os.userInfo().username} may not read and write ${socket} (mode ${mode})`,
      fix: `add the user to the socket's group (\`sudo usermod -aG docker ${os.userInfo().username}\`, then log in again) or run berth as a user that may`,
    };
  }
}

/** Free space where the data dir lives (the SQLite store, logs, the admin token). */
export async function checkDisk(dataDir: string): Promise<Check> {
  let dir = dataDir;
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  const total = s.blocks * s.bsize;
  const percent = total > 0 ? Math.round((free / total) * 100) : 100;
  const detail = `${formatBytes(free)} free (${percent}%) on the file system of ${dataDir}`;
  if (free < 256 * 1024 ** 2) return { name: 'disk', status: 'fail', detail, fix: 'free disk space: the store and logs need room (`docker system df` shows what images and volumes use)' };
  if (free < 2 * 1024 ** 3 || percent < 10) return { name: 'disk', status: 'warn', detail, fix: 'free some disk space soon; container logs and workspaces grow' };
  return { name: 'disk', status: 'ok', detail };
}

/** Is the data dir there (or creatable) and writable? */
export async function checkDataDir(dataDir: string): Promise<Check> {
  let dir = dataDir;
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    await access(dir, constants.W_OK);
    return { name: 'data dir', status: 'ok', detail: `${dataDir}${dir === dataDir ? '' : ' (will be created)'} is writable` };
  } catch {
    return { name: 'data dir', status: 'fail', detail: `${dir} is not writable`, fix: `make ${dataDir} writable for this user, or set BERTH_DATA_DIR` };
  }
}

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function tcpAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The instance port range as the store sees it: allocated ports against the range's size. */
export function checkPortAllocation(config: BerthConfig, allocated: number): Check {
  const size = config.ports.end - config.ports.start + 1;
  const free = Math.max(0, size - allocated);
  const percent = Math.round((free / size) * 100);
  const detail = `${config.ports.start}-${config.ports.end}: ${allocated} allocated, ${free} free (${percent}%)`;
  if (free === 0) return { name: 'ports', status: 'fail', detail, fix: 'widen the range (ports.start/ports.end or BERTH_PORT_RANGE), or delete unused instances' };
  if (percent < 20) return { name: 'ports', status: 'warn', detail, fix: 'the range is nearly full; widen it with BERTH_PORT_RANGE' };
  return { name: 'ports', status: 'ok', detail };
}

/**
 * A sample of the instance port range, probed by binding (only while the daemon is down:
 * a probe holding a port could race an instance being created).
 */
export async function checkPortRange(config: BerthConfig, samples = 64): Promise<Check> {
  const { start, end } = config.ports;
  const size = end - start + 1;
  const step = Math.max(1, Math.floor(size / samples));
  const probes: number[] = [];
  for (let p = start; p <= end && probes.length < samples; p += step) probes.push(p);
  const free = (await Promise.all(probes.map((p) => portFree(config.runtime.bindAddress, p)))).filter(Boolean).length;
  const percent = Math.round((free / probes.length) * 100);
  const detail = `${start}-${end} on ${config.runtime.bindAddress}: ${free} of ${probes.length} sampled ports free (${percent}%)`;
  if (free === 0) return { name: 'ports', status: 'fail', detail, fix: 'widen or move the range (ports.start/ports.end or BERTH_PORT_RANGE), or delete unused instances' };
  if (percent < 20) return { name: 'ports', status: 'warn', detail, fix: 'the range is nearly full; widen it with BERTH_PORT_RANGE' };
  return { name: 'ports', status: 'ok', detail };
}

/** The store's server, when it is Postgres and the daemon cannot tell us. */
export async function checkPostgresReachable(url: string): Promise<Check> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 5432);
  if (await tcpAnswers(host, port)) return { name: 'store', status: 'ok', detail: `postgres at ${host}:${port} accepts connections` };
  return { name: 'store', status: 'fail', detail: `nothing answers at ${host}:${port} (DATABASE_URL)`, fix: 'start PostgreSQL (`bash scripts/ensure-postgres.sh`) or fix DATABASE_URL' };
}
