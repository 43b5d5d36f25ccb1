import Docker from 'dockerode';
import { testEnv } from './env.js';
import { EgressFirewall } from '../../src/runtime/docker/egress-rules.js';

/** A raw Engine API client for tests: to inspect what berth made, and to break things. */
export function rawDocker(): Docker {
  const host = testEnv.dockerHost;
  return host.startsWith('unix://') ? new Docker({ socketPath: host.slice(7) }) : new Docker({ socketPath: host });
}

export async function engineAnswers(): Promise<boolean> {
  try {
    await rawDocker().ping();
    return true;
  } catch {
    return false;
  }
}

/** Removes every container, volume and network labelled with a test's berth scope. */
export async function removeScope(scope: string): Promise<void> {
  const docker = rawDocker();
  const filters = { label: [`berth.scope=${scope}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  // The scope's egress rules (only those tagged with it; nobody else's).
  await new EgressFirewall().remove(scope).catch(() => undefined);
}
