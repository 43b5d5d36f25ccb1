import { BerthError } from '../../common/errors.js';
import type { BerthConfig } from '../../config/schema.js';
import { connectDocker } from '../docker/docker-connection.js';
import { DockerDriver } from '../docker/docker-driver.js';
import type { WorkspacePins } from '../workspace-pins.js';
import { SwarmDriver } from './swarm-driver.js';
import { parseConstraints } from './swarm-state.js';

/** The Swarm driver from config: the manager at docker.host, one engine client per configured node. */
export function createSwarmDriver(config: Pick<BerthConfig, 'docker' | 'swarm' | 'plans'>, pins?: WorkspacePins): SwarmDriver {
  for (const [name, plan] of Object.entries(config.plans)) {
    try {
      parseConstraints(plan.placement?.constraints ?? [], `plans.${name}.placement.constraints`);
    } catch (error) {
      throw new BerthError('INVALID_CONFIG', (error as Error).message);
    }
  }
  const nodeEngines = new Map<string, DockerDriver>();
  const nodeClients = new Map<string, ReturnType<typeof connectDocker>>();
  for (const [hostname, url] of Object.entries(config.swarm.nodeEngines)) {
    const client = connectDocker(url);
    nodeClients.set(hostname, client);
    nodeEngines.set(hostname, new DockerDriver(client, url, connectDocker(url, 0)));
  }
  const host = config.docker.host;
  return new SwarmDriver(connectDocker(host), host, connectDocker(host, 0), {
    publishMode: config.swarm.publishMode,
    nodeEngines,
    nodeClients,
    startTimeoutMs: config.swarm.startTimeoutSeconds * 1000,
    encryptNetworks: config.swarm.encryptNetworks,
    ...(pins && config.swarm.pinWorkspaces ? { pins } : {}),
  });
}
