import { rmSync } from 'node:fs';
import type Docker from 'dockerode';
import { benchAbort } from './abort.js';
import { killRunningCommands } from './exec-command.js';
import { mapLimit } from './map-limit.js';

type Task = { name: string; run: () => Promise<void> | void };

/**
 * Everything the bench makes is registered here and removed at the end of the run, on an
 * error, and on SIGINT/SIGTERM: child processes first, then every container, volume and
 * network carrying one of the registered labels, then temporary files.
 */
export class CleanupRegistry {
  private readonly tasks: Task[] = [];
  private readonly labels = new Set<string>();
  private readonly paths = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(private readonly docker: Docker, private readonly log: (line: string) => void) {}

  /** A `key=value` label: every engine object carrying it is removed at the end. */
  label(selector: string): void {
    this.labels.add(selector);
  }

  path(p: string): void {
    this.paths.add(p);
  }

  /** Runs before the engine sweep (e.g. stop a daemon so it does not recreate what we remove). */
  onCleanup(name: string, run: () => Promise<void> | void): void {
    this.tasks.push({ name, run });
  }

  /** Installs signal handlers that clean up and exit with 130/143. */
  installSignalHandlers(): void {
    let signals = 0;
    const handler = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        this.log(signals > 2 ? 'abandoning the cleanup' : 'still cleaning up; interrupt once more to abandon it (leftovers carry the label berth.bench)');
        if (signals > 2) process.exit(130);
        return;
      }
      benchAbort.abort();
      const killed = killRunningCommands();
      this.log(`\n${signal}: stopped ${killed} running commands; removing everything this bench run created…`);
      void this.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }

  run(): Promise<void> {
    this.running ??= this.sweep();
    return this.running;
  }

  private async sweep(): Promise<void> {
    for (const task of [...this.tasks].reverse()) {
      try {
        await task.run();
      } catch (error) {
        this.log(`cleanup ${task.name}: ${(error as Error).message}`);
      }
    }
    const removed = { containers: 0, volumes: 0, networks: 0 };
    // Calls already sent to the engine may still land after a first pass (an interrupted run):
    // sweep until a pass finds nothing, and always at least twice.
    for (let pass = 0; pass < 8; pass++) {
      const before = removed.containers + removed.volumes + removed.networks;
      await this.sweepOnce(removed);
      const found = removed.containers + removed.volumes + removed.networks - before;
      if (pass > 0 && found === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const p of this.paths) rmSync(p, { recursive: true, force: true });
    this.log(`cleanup: removed ${removed.containers} containers, ${removed.volumes} volumes, ${removed.networks} networks`);
  }

  private async sweepOnce(removed: { containers: number; volumes: number; networks: number }): Promise<void> {
    for (const label of this.labels) {
      const filters = JSON.stringify({ label: [label] });
      const containers = await this.docker.listContainers({ all: true, filters }).catch(() => []);
      await mapLimit(containers, 8, async (c) => {
        await this.docker.getContainer(c.Id).remove({ force: true, v: true }).then(() => removed.containers++, () => undefined);
      });
      const volumes = (await this.docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }))).Volumes ?? [];
      await mapLimit(volumes, 8, async (v) => {
        await this.docker.getVolume(v.Name).remove().then(() => removed.volumes++, () => undefined);
      });
      const networks = await this.docker.listNetworks({ filters }).catch(() => []);
      await mapLimit(networks, 4, async (n) => {
        await this.docker.getNetwork(n.Id).remove().then(() => removed.networks++, () => undefined);
      });
    }
  }
}
