import type Docker from 'dockerode';
import type { TestDaemon, TestDaemonOptions } from '../helpers/test-daemon.js';

/** An instance's running container, on the engine that runs it. */
export interface TaskContainer {
  docker: Docker;
  id: string;
}

/**
 * One runtime configuration the shared cases (lifecycle, monitor, jobs) run against: the
 * single Docker engine (test/integration) or the Swarm cluster (test/swarm). The cases see
 * berth only through its API; a target adds what a test needs from the engine underneath.
 */
export interface DriverTarget {
  readonly name: 'docker' | 'swarm';
  /** A daemon on this runtime, with the given extra config. */
  start(options?: TestDaemonOptions): Promise<TestDaemon>;
  /** The instance's running container (a new one after a restart or a recreate). */
  container(td: TestDaemon, instanceId: string): Promise<TaskContainer>;
  /** Removes what runs the instance behind berth's back (the container; on Swarm the service). */
  removeBehindBack(td: TestDaemon, containerId: string): Promise<void>;
  /** Whether a volume of that name exists on any engine of the runtime. */
  volumeExists(name: string): Promise<boolean>;
  /** Generous bound for "killed → running again" (exit seen on the event stream, then restarted). */
  readonly restartBoundMs: number;
  /** Seconds between a restart job's runs: a Swarm restart (a new task) takes longer than a container restart. */
  readonly restartJobEverySeconds: number;
}

/** Polls `check` until it returns a value, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
