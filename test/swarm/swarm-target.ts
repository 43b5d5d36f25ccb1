import type { DriverTarget } from '../cases/driver-target.js';
import { clusterNodes, manager, nodeDocker, startSwarmDaemon } from './cluster.js';

/** The shared cases on the Swarm cluster: containers are tasks on the worker nodes. */
export const swarmTarget: DriverTarget = {
  name: 'swarm',
  start: (options = {}) => startSwarmDaemon(options),
  async container(td, instanceId) {
    for (const node of clusterNodes()) {
      const docker = nodeDocker(node);
      const [c] = await docker.listContainers({ filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${instanceId}`] } }).catch(() => []);
      if (c) return { docker, id: c.Id };
    }
    throw new Error(`no running task container for instance ${instanceId} on any node`);
  },
  async removeBehindBack(_td, serviceId) {
    await manager().getService(serviceId).remove();
  },
  async volumeExists(name) {
    for (const node of clusterNodes()) {
      const found = await nodeDocker(node).getVolume(name).inspect().then(() => true, (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return false;
        throw e;
      });
      if (found) return true;
    }
    return false;
  },
  // Task states are polled (swarm events carry no exit codes), and a restart is a new task.
  restartBoundMs: 45_000,
  restartJobEverySeconds: 6,
};
