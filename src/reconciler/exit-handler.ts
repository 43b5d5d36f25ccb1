import type { Instance } from '../core/instances/instance-types.js';

/** What the engine says about a container that stopped on its own. */
export interface ExitInfo {
  containerId: string;
  exitCode: number | null;
  oomKilled: boolean;
  finishedAt: string | null;
}

/**
 * Decides what happens when a desired-running instance's container has exited. The
 * reconciler calls it (outside the instance lock) and does not restart anything itself; the
 * monitor plugs in its backoff and crash-loop policy here.
 */
export interface ExitHandler {
  handleExit(instance: Instance, exit: ExitInfo): Promise<void>;
}

/** The part of InstanceService the default policy needs. */
export interface Restarter {
  restartContainer(idOrName: string, actor: string, reason?: string): Promise<Instance>;
}

/** Until a real policy is plugged in: start the container again at once. */
export class RestartOnExit implements ExitHandler {
  constructor(private readonly instances: Restarter) {}

  async handleExit(instance: Instance, exit: ExitInfo): Promise<void> {
    const how = exit.oomKilled ? 'was OOM-killed' : `exited with code ${exit.exitCode ?? 'unknown'}`;
    await this.instances.restartContainer(instance.id, 'berth', `container ${how}; started again`);
  }
}
