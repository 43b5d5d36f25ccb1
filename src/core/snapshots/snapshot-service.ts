import type { Clock, TimerHandle } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstanceRecord, InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { SnapshotsRepo } from '../../store/repositories/snapshots-repo.js';
import type { EventLog } from '../events/event-log.js';
import { WORKSPACE_TARGET } from '../instances/container-spec.js';
import type { InstanceProvisioner } from '../instances/instance-provisioner.js';
import { STATUS } from '../../common/instance-status.js';
import { SYSTEM_VIEWER, type Viewer } from '../instances/instance-types.js';
import type { InstanceLock } from '../instances/instance-locks.js';
import type { PlanCatalog } from '../plans/resolve-plans.js';
import { SnapshotFiles } from './snapshot-files.js';
import type { Snapshot, SnapshotMode, SnapshotTrigger } from './snapshot-types.js';

export interface SnapshotServiceDeps {
  repo: SnapshotsRepo;
  instances: InstancesRepo;
  /** The instance as the viewer may see it (INSTANCE_NOT_FOUND for another tenant's). */
  find(idOrName: string, viewer: Viewer): Promise<InstanceRecord>;
  provisioner: InstanceProvisioner;
  runtime: RuntimeDriver;
  gate: { require(): void; report(error: unknown): void };
  /** The instance's lock across berth processes: a snapshot never overlaps an upgrade, a restore or another snapshot. */
  lock: InstanceLock;
  events: EventLog;
  files: SnapshotFiles;
  plans: PlanCatalog;
  clock: Clock;
  logger: Logger;
  /** Snapshots taken on request (not scheduled) an instance may hold at once. */
  maxPerInstance: number;
  /** The longest a pause-mode copy keeps the agent frozen (snapshots.maxPauseSeconds). */
  maxPauseMs: number;
  /** Stops the health watch of an instance about to be stopped on purpose. */
  cancelWatch(instanceId: string): void;
}

const AUTOMATIC: SnapshotTrigger[] = ['scheduled', 'before-upgrade'];
/** How often boot recovery looks again at snapshots another process held. */
const RECOVERY_RETRY_MS = 3000;
/** The schema's default of plans.<p>.snapshots.keep, for plans that set no snapshots at all. */
const DEFAULT_KEEP = 5;

/**
 * Workspace snapshots: a consistent tar of /workspace taken through the engine's archive
 * endpoint (nothing runs in the container, no helper image) while the agent is paused or
 * stopped, stored as a file with its size and sha256. Restores live in SnapshotRestore.
 */
export class SnapshotService {
  constructor(readonly d: SnapshotServiceDeps) {}

  private now(): string {
    return new Date(this.d.clock.now()).toISOString();
  }

  /** The snapshot if the viewer may see it; SNAPSHOT_NOT_FOUND otherwise (a tenant never learns of others'). */
  async visible(id: string, viewer: Viewer): Promise<Snapshot> {
    const found = await this.d.repo.get(id);
    if (!found || (viewer.tenant && found.tenant !== viewer.tenant)) throw new BerthError('SNAPSHOT_NOT_FOUND', `no snapshot ${id}`);
    return found;
  }

  async list(viewer: Viewer, filter: { tenant?: string; instance?: string }): Promise<{ items: Snapshot[]; total: number }> {
    if (viewer.tenant && filter.tenant && filter.tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `this token may not list tenant ${filter.tenant}`);
    const instanceId = filter.instance ? (await this.d.find(filter.instance, viewer)).id : undefined;
    const tenant = viewer.tenant ?? filter.tenant;
    const items = await this.d.repo.list({ ...(tenant ? { tenant } : {}), ...(instanceId ? { instanceId } : {}) });
    return { items, total: items.length };
  }

  /** Snapshots of one instance the viewer may see (by the instance's id: a later instance of the same name sees none of these). */
  async listOf(idOrName: string, viewer: Viewer): Promise<{ items: Snapshot[]; total: number }> {
    const row = await this.d.find(idOrName, viewer);
    const items = await this.d.repo.list({ instanceId: row.id });
    return { items, total: items.length };
  }

  /** Takes a snapshot now (holding the instance's lock) and returns it once the file is complete. */
  async create(idOrName: string, options: { mode: SnapshotMode; trigger?: SnapshotTrigger }, actor: string, viewer: Viewer): Promise<Snapshot> {
    const found = await this.d.find(idOrName, viewer);
    this.d.gate.require();
    return this.d.lock.run(found.id, () => this.take(found, options, actor));
  }

  /**
   * The snapshot itself; the caller holds the instance's lock. The record is written inside the
   * lock, so a berth booting meanwhile (recover) never mistakes it for one a dead berth left.
   */
  private async take(found: InstanceRecord, options: { mode: SnapshotMode; trigger?: SnapshotTrigger }, actor: string): Promise<Snapshot> {
    const trigger = options.trigger ?? 'manual';
    const { runtime } = this.d;
    if (!runtime.exportPath || (options.mode === 'pause' && (!runtime.pauseContainer || !runtime.unpauseContainer))) {
      throw new BerthError('INVALID_STATE', `the ${runtime.name} runtime driver cannot take workspace snapshots${options.mode === 'pause' ? ' in mode pause' : ''}`);
    }
    if (trigger === 'manual') {
      const held = (await this.d.repo.list({ instanceId: found.id, triggers: ['manual'] })).length;
      if (held >= this.d.maxPerInstance) {
        throw new BerthError('QUOTA_EXCEEDED', `instance ${found.name} already has ${held} snapshots taken on request (snapshots.maxPerInstance ${this.d.maxPerInstance}); delete some first`, {
          details: { limit: 'snapshots.maxPerInstance', limitValue: this.d.maxPerInstance, usage: held },
        });
      }
    }
    const id = newId('snp_', this.d.clock.now());
    const snapshot = await this.d.repo.insert({
      id, instanceId: found.id, instance: found.name, tenant: found.tenant, trigger, mode: options.mode,
      file: SnapshotFiles.fileOf(found.tenant, id), actor, createdAt: this.now(),
    });
    let pauseMs: number | null = null;
    try {
      const row = await this.d.instances.get(found.id);
      if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `no instance ${found.name}`);
      // An upgrade takes its snapshot while the instance is `upgrading`; anything else busy must wait.
      if (STATUS.busy.includes(row.status) && !(trigger === 'before-upgrade' && row.status === 'upgrading')) {
        throw new BerthError('INVALID_STATE', `instance ${row.name} is ${row.status}; try again when it is done`);
      }
      const done = await this.copy(row, snapshot, actor);
      pauseMs = done.pauseMs;
      await this.d.repo.complete(id, { ...done, completedAt: this.now() });
    } catch (error) {
      this.d.gate.report(error);
      const reason = describeError(error);
      await this.d.files.remove(snapshot.file).catch(() => undefined);
      await this.d.repo.fail(id, reason, this.now(), pauseMs).catch(() => undefined);
      await this.d.events.record({
        instanceId: found.id, instance: found.name, tenant: found.tenant, type: 'snapshot-failed', actor,
        message: `snapshot ${id} failed: ${reason}`, data: { snapshot: id, trigger, mode: options.mode },
      });
      throw error;
    }
    const made = (await this.d.repo.get(id))!;
    await this.d.events.record({
      instanceId: found.id, instance: found.name, tenant: found.tenant, type: 'snapshot-created', actor,
      message: `workspace snapshot ${id} (${made.sizeBytes} bytes, agent ${options.mode === 'stop' ? 'down' : 'paused'} ${made.pauseMs} ms)`,
      data: { snapshot: id, trigger, mode: options.mode, sizeBytes: made.sizeBytes, sha256: made.sha256, pauseMs: made.pauseMs },
    });
    if (trigger !== 'manual') await this.prune(found).catch((error: unknown) => this.d.logger.warn({ instance: found.name, reason: describeError(error) }, 'could not prune old snapshots'));
    return made;
  }

  /**
   * Copies /workspace into the snapshot's file. A running agent is paused (or stopped and
   * started again) only for the copy; a stopped one is copied as it is.
   */
  private async copy(row: InstanceRecord, snapshot: Snapshot, actor: string): Promise<{ sizeBytes: number; sha256: string; pauseMs: number }> {
    const { runtime, provisioner, files } = this.d;
    const container = await provisioner.findContainer(row);
    if (!container) throw new BerthError('INVALID_STATE', `instance ${row.name} has no container right now (status ${row.status}); nothing to copy`);
    const write = async (limitMs?: number): Promise<{ sizeBytes: number; sha256: string }> => {
      const source = await runtime.exportPath!(container.id, WORKSPACE_TARGET);
      // A frozen agent answers nothing: a copy that takes too long is cut and the agent thawed.
      const timer = limitMs === undefined ? undefined : setTimeout(() => {
        source.destroy(new BerthError('TIMEOUT', `the copy took longer than snapshots.maxPauseSeconds (${limitMs / 1000} s); the agent was thawed`));
      }, limitMs);
      try {
        return await files.write(snapshot.file, source);
      } finally {
        clearTimeout(timer);
      }
    };
    if (container.state !== 'running') return { ...(await write()), pauseMs: 0 };
    const started = performance.now();
    if (snapshot.mode === 'pause') {
      await runtime.pauseContainer!(container.id);
      try {
        const out = await write(this.d.maxPauseMs);
        return { ...out, pauseMs: Math.round(performance.now() - started) };
      } finally {
        // Thawed whatever happened to the copy; a berth killed right here is thawed at its next boot (recover).
        await runtime.unpauseContainer!(container.id);
      }
    }
    // mode stop: `stopping` first, so whoever watches exits sees this stop as intended.
    this.d.cancelWatch(row.id);
    if (!(await this.d.instances.transition(row.id, STATUS.actionable, 'stopping'))) throw new BerthError('INVALID_STATE', `instance ${row.name} changed state; try again`);
    let out: { sizeBytes: number; sha256: string } | undefined;
    try {
      await provisioner.stopContainer(row);
      out = await write();
    } finally {
      // Started again whether or not the copy worked: a snapshot never leaves the agent down.
      await provisioner.launch(row, ['stopping'], actor, `started again after workspace snapshot ${snapshot.id}`);
    }
    return { ...out!, pauseMs: Math.round(performance.now() - started) };
  }

  /** Deletes a snapshot's file and record. */
  async delete(id: string, actor: string, viewer: Viewer): Promise<Snapshot> {
    const snapshot = await this.visible(id, viewer);
    if (snapshot.status === 'creating') throw new BerthError('INVALID_STATE', `snapshot ${id} is still being taken; delete it when it is done`);
    await this.remove(snapshot);
    await this.d.events.record({
      instanceId: snapshot.instanceId, instance: snapshot.instance, tenant: snapshot.tenant, type: 'snapshot-deleted', actor,
      message: `snapshot ${id} deleted`, data: { snapshot: id },
    });
    return snapshot;
  }

  private async remove(snapshot: Snapshot): Promise<void> {
    // Record first: once it is gone nobody can restore from a half-removed file.
    if (!(await this.d.repo.delete(snapshot.id))) throw new BerthError('SNAPSHOT_NOT_FOUND', `no snapshot ${snapshot.id}`);
    await this.d.files.remove(snapshot.file);
  }

  /**
   * The plan's `snapshots.keep` (5 when the plan sets none, so a tenant's own snapshot job cannot
   * fill the disk): the oldest scheduled and before-upgrade snapshots past it go; those taken on
   * request stay (they are capped by maxPerInstance instead).
   */
  async prune(row: Pick<InstanceRecord, 'id' | 'name' | 'tenant' | 'plan'>): Promise<Snapshot[]> {
    const keep = this.d.plans.get(row.plan)?.snapshots?.keep ?? DEFAULT_KEEP;
    const automatic = (await this.d.repo.list({ instanceId: row.id, triggers: AUTOMATIC })).filter((s) => s.status !== 'creating');
    const pruned = automatic.slice(keep);
    for (const s of pruned) await this.remove(s).catch(() => undefined);
    if (pruned.length) {
      await this.d.events.record({
        instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'snapshots-pruned',
        message: `pruned ${pruned.length} old snapshot(s), keeping ${keep}`, data: { snapshots: pruned.map((s) => s.id), keep },
      });
    }
    return pruned;
  }

  /**
   * For an upgrade (the rollout calls it first): a snapshot in mode pause when the instance's
   * plan says `snapshots.beforeUpgrade`; undefined otherwise.
   */
  async snapshotBeforeUpgrade(instance: { id: string; plan: string }, actor = 'berth'): Promise<Snapshot | undefined> {
    if (!this.d.plans.get(instance.plan)?.snapshots?.beforeUpgrade) return undefined;
    // The rollout already holds the instance's lock (taking it again here would wait on itself).
    const found = await this.d.find(instance.id, SYSTEM_VIEWER);
    this.d.gate.require();
    return this.take(found, { mode: 'pause', trigger: 'before-upgrade' }, actor);
  }

  private recoveryTimer: TimerHandle | undefined;
  private recoveryStopped = false;

  /**
   * Boot: a snapshot a killed berth left half-taken is marked failed and its partial file
   * removed; its agent, if still paused, is thawed. A snapshot whose instance another process
   * holds is left alone and looked at again every few seconds: either its taker finishes it,
   * or the taker is dead and its lock frees itself (cluster.instanceLockSeconds), and then it
   * is recovered here.
   */
  async recover(): Promise<number> {
    const { recovered, busy } = await this.recoverOnce();
    if (busy > 0) this.recoverLater();
    return recovered;
  }

  /** Stops looking again (berth is stopping). */
  stopRecovery(): void {
    this.recoveryStopped = true;
    if (this.recoveryTimer) this.d.clock.clearTimeout(this.recoveryTimer);
  }

  private recoverLater(): void {
    if (this.recoveryStopped) return;
    this.recoveryTimer = this.d.clock.setTimeout(() => {
      this.recoverOnce().then(({ busy }) => {
        if (busy > 0) this.recoverLater();
      }, (error: unknown) => {
        this.d.logger.warn({ reason: describeError(error) }, 'could not recover interrupted snapshots; trying again');
        this.recoverLater();
      });
    }, RECOVERY_RETRY_MS);
    this.recoveryTimer.unref?.();
  }

  private async recoverOnce(): Promise<{ recovered: number; busy: number }> {
    let recovered = 0;
    let busy = 0;
    for (const s of await this.d.repo.list({ status: 'creating' })) {
      // Another process holds the instance: it is taking this snapshot now, or it died and its lock has not expired yet.
      const done = await Promise.resolve(this.d.lock.tryRun(s.instanceId, async () => {
        if ((await this.d.repo.get(s.id))?.status !== 'creating') return false;
        // The agent first: it is frozen until thawed.
        const row = await this.d.instances.get(s.instanceId);
        const container = row ? await this.d.provisioner.findContainer(row).catch(() => undefined) : undefined;
        if (container?.state === 'paused') await this.d.runtime.unpauseContainer?.(container.id);
        await this.d.files.remove(s.file).catch(() => undefined);
        await this.d.repo.fail(s.id, 'berth stopped while the snapshot was taken', this.now(), null);
        this.d.logger.warn({ snapshot: s.id, instance: s.instance }, 'snapshot interrupted by a stop of berth; marked failed');
        return true;
      }) ?? 'busy').catch((error: unknown) => {
        if (!(error instanceof BerthError && error.code === 'INSTANCE_BUSY')) throw error;
        return 'busy' as const;
      });
      if (done === 'busy') busy++;
      else if (done) recovered++;
    }
    return { recovered, busy };
  }
}
