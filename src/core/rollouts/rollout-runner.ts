import type { Clock, TimerHandle } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Service } from '../../common/lifecycle.js';
import type { RolloutsRepo } from '../../store/repositories/rollouts-repo.js';
import type { UpgradesRepo } from '../../store/repositories/upgrades-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { RevisionService } from '../upgrades/revision-service.js';
import type { Rollout, RolloutItem, RolloutItemStatus, Upgrade } from '../upgrades/upgrade-types.js';
import type { RolloutService } from './rollout-service.js';

export interface RolloutRunnerOptions {
  rollouts: RolloutsRepo;
  upgrades: UpgradesRepo;
  service: Pick<RolloutService, 'patchOf'>;
  revisions: Pick<RevisionService, 'patch'>;
  /** Runs an upgrade (the upgrade worker). */
  submit: (upgradeId: string) => Promise<Upgrade>;
  events: Pick<EventLog, 'record'>;
  runtimeUp: () => boolean;
  clock: Clock;
  logger: Logger;
  tickMs?: number;
}

const OUTCOME: Record<string, RolloutItemStatus> = { succeeded: 'succeeded', 'rolled-back': 'failed', failed: 'failed', paused: 'failed', cancelled: 'skipped' };

/**
 * Drives every running rollout from the store: settles items whose upgrade ended, stops the
 * rollout past maxFailures (the pending rest untouched, marked skipped), pauses it when an
 * upgrade was left paused, and starts pending items up to maxParallel. State lives only in
 * the store, so after a restart the next tick simply continues.
 */
export class RolloutRunner implements Service {
  readonly name = 'rollouts';
  private timer: TimerHandle | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly o: RolloutRunnerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.ticking?.catch(() => undefined);
  }

  /** A tick soon (coalesced). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.ticking = this.tick()
      .catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'rollout tick failed'))
      .finally(() => {
        this.ticking = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
          return;
        }
        this.timer = this.o.clock.setTimeout(() => this.wake(), this.o.tickMs ?? 1000);
        this.timer.unref?.();
      });
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  private async tick(): Promise<void> {
    if (!this.o.runtimeUp()) return;
    for (const rollout of await this.o.rollouts.list({ status: 'running', limit: 1000 })) {
      if (this.stopped) return;
      await this.advance(rollout).catch((error: unknown) => this.o.logger.warn({ rollout: rollout.id, reason: describeError(error) }, 'could not advance a rollout'));
    }
    // Cancelled or paused rollouts still settle the items that were running.
    for (const status of ['paused', 'cancelled'] as const) {
      for (const rollout of await this.o.rollouts.list({ status, limit: 100 })) await this.settle(rollout, await this.o.rollouts.items(rollout.id));
    }
  }

  /** Items whose upgrade has ended take its outcome. */
  private async settle(rollout: Rollout, items: RolloutItem[]): Promise<RolloutItem[]> {
    for (const item of items.filter((i) => i.status === 'running')) {
      const upgrade = item.upgradeId ? await this.o.upgrades.get(item.upgradeId) : await this.o.upgrades.ofRollout(rollout.id, item.instanceId);
      if (!upgrade) {
        // Marked running but the upgrade was never written (a crash between the two): start it again.
        if (rollout.status === 'running') await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: 'pending' }, ['running']);
        item.status = 'pending';
        continue;
      }
      if (!item.upgradeId) await this.o.rollouts.updateItem(rollout.id, item.instanceId, { upgradeId: upgrade.id, revision: upgrade.toRevision });
      const outcome = OUTCOME[upgrade.status];
      if (!outcome) {
        void this.o.submit(upgrade.id).catch(() => undefined);
        continue;
      }
      await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: outcome, message: upgrade.message, endedAt: upgrade.endedAt ?? this.now() }, ['running']);
      item.status = outcome;
      if (upgrade.status === 'paused' && rollout.status === 'running') {
        await this.o.rollouts.setStatus(rollout.id, ['running'], 'paused', `paused: ${item.instance} failed its health gate (failureAction pause)`, this.now());
        rollout.status = 'paused';
      }
    }
    return items;
  }

  private async advance(rollout: Rollout): Promise<void> {
    const items = await this.settle(rollout, await this.o.rollouts.items(rollout.id));
    if (rollout.status !== 'running') return;
    const failures = items.filter((i) => i.status === 'failed').length;
    if (failures > rollout.maxFailures) {
      // Nothing new starts; those in flight finish their step, then the rollout ends as failed.
      const message = `stopped: ${failures} instances failed (maxFailures ${rollout.maxFailures}); the rest left untouched`;
      if (items.some((i) => i.status === 'pending')) await this.o.rollouts.settlePending(rollout.id, 'skipped', 'not attempted: the rollout stopped at maxFailures', this.now());
      if (items.some((i) => i.status === 'running')) return;
      if (await this.o.rollouts.setStatus(rollout.id, ['running'], 'failed', message, this.now())) {
        this.o.events.record({ type: 'rollout-stopped', message: `rollout ${rollout.id} ${message}`, actor: 'berth', tenant: rollout.tenant, data: { rollout: rollout.id, failures } });
      }
      return;
    }
    let running = items.filter((i) => i.status === 'running').length;
    const pending = items.filter((i) => i.status === 'pending');
    if (!pending.length && !running) {
      const done = items.filter((i) => i.status === 'succeeded').length;
      await this.o.rollouts.setStatus(rollout.id, ['running'], 'succeeded', `${done} of ${items.length} instances on the new revision; ${failures} failed`, this.now());
      return;
    }
    for (const item of pending) {
      if (running >= rollout.maxParallel || this.stopped) break;
      if (await this.begin(rollout, item)) running++;
    }
  }

  /** Starts one item; true when an upgrade now runs for it (it takes a slot of maxParallel). */
  private async begin(rollout: Rollout, item: RolloutItem): Promise<boolean> {
    // Marked first: a crash after the upgrade is queued finds it by rollout and instance.
    if (!(await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: 'running', startedAt: this.now() }, ['pending']))) return false;
    try {
      const viewer = { tenant: rollout.tenant };
      const { upgrade, revision } = await this.o.revisions.patch(item.instanceId, this.o.service.patchOf(rollout), {
        rollout: { healthTimeoutSeconds: rollout.healthTimeoutSeconds, failureAction: rollout.failureAction }, rolloutId: rollout.id, reason: `rollout ${rollout.id}`,
      }, rollout.actor, viewer);
      if (!upgrade) {
        await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: 'succeeded', message: 'already on this spec; nothing to change', endedAt: this.now() });
        return false;
      }
      await this.o.rollouts.updateItem(rollout.id, item.instanceId, { upgradeId: upgrade.id, revision: revision?.revision ?? upgrade.toRevision });
      void this.o.submit(upgrade.id).then(() => this.wake(), () => this.wake());
      return true;
    } catch (error) {
      if (error instanceof BerthError && error.code === 'INVALID_STATE') {
        // Busy right now (another rollout or a PATCH in progress, being created): tried again on a later tick.
        await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: 'pending', message: `waiting: ${describeError(error)}` }, ['running']);
        return false;
      }
      const gone = error instanceof BerthError && error.code === 'INSTANCE_NOT_FOUND';
      await this.o.rollouts.updateItem(rollout.id, item.instanceId, { status: gone ? 'skipped' : 'failed', message: describeError(error), endedAt: this.now() });
      return false;
    }
  }
}
