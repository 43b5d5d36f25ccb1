import type { Clock, TimerHandle } from '../../common/clock.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Service } from '../../common/lifecycle.js';
import type { InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { RevisionsRepo } from '../../store/repositories/revisions-repo.js';
import type { UpgradesRepo } from '../../store/repositories/upgrades-repo.js';
import type { InstanceProvisioner } from '../instances/instance-provisioner.js';
import type { Upgrade } from './upgrade-types.js';
import type { Upgrader } from './upgrader.js';

export interface UpgradeWorkerOptions {
  upgrader: Upgrader;
  upgrades: UpgradesRepo;
  revisions: Pick<RevisionsRepo, 'deleteOrphans'>;
  repo: InstancesRepo;
  provisioner: InstanceProvisioner;
  withInstanceLock: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
  /** Whether the engine answers: nothing is attempted while it does not. */
  runtimeUp: () => boolean;
  clock: Clock;
  logger: Logger;
  /** How often unfinished upgrades are looked for (those interrupted by an engine outage, or queued by another berth). */
  pollMs?: number;
}

/**
 * Runs upgrade records: at once when queued (PATCH, rollback, a fleet rollout), and at boot
 * and on a timer for any left unfinished, so a berth killed mid-rollout finishes it: a
 * rollout not past its health gate is undone (old revision back) and retried; one that passed
 * is completed. One upgrade per instance at a time (the upgrader takes the instance's lock).
 */
export class UpgradeWorker implements Service {
  readonly name = 'upgrades';
  private readonly inFlight = new Map<string, Promise<Upgrade>>();
  private timer: TimerHandle | undefined;
  private stopped = true;
  private lastPrune = 0;

  constructor(private readonly o: UpgradeWorkerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.sweep().catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'first upgrade sweep failed; retrying'));
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.upgrader.halt();
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Runs upgrade `id` now (joins it if already running); resolves with its outcome. */
  submit(id: string): Promise<Upgrade> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const work = this.o.upgrader.execute(id);
    this.inFlight.set(id, work);
    void work.catch(() => undefined).finally(() => this.inFlight.delete(id));
    return work;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      void this.sweep().catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'upgrade sweep failed')).finally(() => this.schedule());
    }, this.o.pollMs ?? 5000);
    this.timer.unref?.();
  }

  /** Unfinished upgrades are (re)run; instances left `upgrading` with none are started again on what they hold. */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    // A deleted instance's revisions (and the sealed secrets in them) go within a minute.
    if (this.o.clock.now() - this.lastPrune >= 60_000) {
      this.lastPrune = this.o.clock.now();
      const pruned = await this.o.revisions.deleteOrphans();
      if (pruned) this.o.logger.debug({ pruned }, 'removed the revisions of deleted instances');
    }
    if (!this.o.runtimeUp()) return;
    const unfinished = await this.o.upgrades.unfinished();
    const owned = new Set(unfinished.map((u) => u.instanceId));
    for (const u of unfinished) {
      if (this.inFlight.has(u.id)) continue;
      if (u.status === 'running') this.o.logger.info({ upgrade: u.id, instance: u.instanceId, phase: u.phase }, 'resuming an interrupted upgrade');
      void this.submit(u.id).catch((error: unknown) => this.o.logger.warn({ upgrade: u.id, reason: describeError(error) }, 'upgrade not finished yet; retrying'));
    }
    for (const row of await this.o.repo.list({ status: 'upgrading', limit: 1000, offset: 0 }).then((r) => r.rows)) {
      if (owned.has(row.id)) continue;
      await this.o.withInstanceLock(row.id, async () => {
        const now = await this.o.repo.get(row.id);
        if (now?.status !== 'upgrading' || (await this.o.upgrades.activeFor(row.id))) return;
        await this.o.provisioner.launch(now, ['upgrading'], 'berth', 'left upgrading without a rollout; started again');
      }).catch((error: unknown) => this.o.logger.warn({ instance: row.id, reason: describeError(error) }, 'could not restart an instance left upgrading'));
    }
  }
}
