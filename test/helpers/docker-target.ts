import type { DriverTarget } from '../cases/driver-target.js';
import { rawDocker } from './docker.js';
import { startTestDaemon } from './test-daemon.js';

/** The shared cases on the single Docker engine. */
export const dockerTarget: DriverTarget = {
  name: 'docker',
  start: (options = {}) => startTestDaemon(options),
  async container(td, instanceId) {
    const docker = rawDocker();
    const [c] = await docker.listContainers({ filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${instanceId}`] } });
    if (!c) throw new Error(`no running container for instance ${instanceId}`);
    return { docker, id: c.Id };
  },
  async removeBehindBack(_td, containerId) {
    await rawDocker().getContainer(containerId).remove({ force: true });
  },
  async volumeExists(name) {
    return rawDocker().getVolume(name).inspect().then(() => true, (e: { statusCode?: number }) => {
      if (e.statusCode === 404) return false;
      throw e;
    });
  },
  restartBoundMs: 15_000,
  restartJobEverySeconds: 2,
};
