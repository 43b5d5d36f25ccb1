import type { Clock } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Alert } from '../../alerts/alert-dispatcher.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstancePatch, InstanceRecord, InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { RevisionsRepo } from '../../store/repositories/revisions-repo.js';
import type { UpgradeChange, UpgradesRepo } from '../../store/repositories/upgrades-repo.js';
import type { AppendEvent } from '../events/event-log.js';
import type { InstanceProvisioner } from '../instances/instance-provisioner.js';
import { STATUS } from '../../common/instance-status.js';
import type { Instance } from '../instances/instance-types.js';
import type { StartWatcher } from '../instances/start-watcher.js';
import { maskSecrets } from '../secrets/mask-secrets.js';
import type { HealthGate } from './health-gate.js';
import type { Revision, Upgrade } from './upgrade-types.js';
import { UPGRADE_DONE } from './upgrade-types.js';

export interface UpgraderOptions {
  repo: InstancesRepo;
  revisions: RevisionsRepo;
  upgrades: UpgradesRepo;
  provisioner: InstanceProvisioner;
  runtime: RuntimeDriver;
  watcher: StartWatcher;
  gate: HealthGate;
  events: { record(...events: AppendEvent[]): void };
  alerts: { notify(alert: Alert): void };
  /** The one place an instance is locked for a rollout (in-process KeyedLock today; a store lock may replace it). */
  withInstanceLock: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
  /** The instance's row columns for a revision (spec hash and network included). */
  columnsOf: (row: InstanceRecord, revision: Revision) => InstancePatch;
  view: (row: InstanceRecord) => Instance;
  /** A revision's secret values, masked in the log lines an event keeps. */
  secretValuesOf: (revision: Revision) => string[];
  clock: Clock;
  logger: Logger;
  /** Called before a rollout stops the old container (e.g. a workspace snapshot); a throw fails the upgrade before anything changed. */
  beforeRollout?: (instance: Instance) => Promise<void>;
}

const LOG_LINES = 20;
/** Failures that pass: the upgrade is resumed from its phase rather than failed. */
const TRANSIENT: ReadonlySet<string> = new Set(['RUNTIME_UNAVAILABLE', 'STORE_UNAVAILABLE', 'NOT_READY', 'TIMEOUT']);

/**
 * Moves one instance from one revision to another, health-gated: the new container is created
 * beside the old one, the old one is stopped (the host port is the instance's, so both cannot
 * publish it at once), the new one started and judged by the monitor's rules within the
 * deadline. Healthy: the old container goes and the new takes its name. Not: the new one goes
 * and the old one starts again (failureAction rollback), or the new one stays for the monitor
 * (pause). Each step is recorded (phase) before it is taken, so a berth killed midway resumes.
 */
export class Upgrader {
  private stopping = false;

  constructor(private readonly o: UpgraderOptions) {}

  /** Daemon shutdown: a health gate in progress ends at once and its upgrade stays `running`, resumed at the next boot. */
  halt(): void {
    this.stopping = true;
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  /** Runs (or resumes) upgrade `id` to its end; returns it as it then is. */
  async execute(id: string): Promise<Upgrade> {
    const first = await this.o.upgrades.get(id);
    if (!first) throw new BerthError('NOT_FOUND', `no upgrade ${id}`);
    return this.o.withInstanceLock(first.instanceId, async () => {
      const u = (await this.o.upgrades.get(id))!;
      if (UPGRADE_DONE.includes(u.status) || this.stopping) return u;
      try {
        await this.run(u);
      } catch (error) {
        if (this.stopping || !(await this.refused(id, error))) {
          // The engine or the store away midway: the record keeps its phase; the worker resumes it.
          this.o.logger.warn({ upgrade: id, instance: u.instanceId, reason: describeError(error) }, 'upgrade interrupted; it will be resumed');
          throw error;
        }
      }
      return (await this.o.upgrades.get(id))!;
    });
  }

  /**
   * A failure retrying cannot fix (the engine refused the new container, an image went away):
   * the previous revision comes back and the upgrade ends `failed`. Returns false for a
   * transient failure (engine or store away) or one past the health gate: those are resumed.
   */
  private async refused(id: string, error: unknown): Promise<boolean> {
    if (!(error instanceof BerthError) || TRANSIENT.has(error.code)) return false;
    const u = await this.o.upgrades.get(id);
    if (!u || u.status !== 'running' || u.phase === 'committed') return false;
    const row = await this.o.repo.get(u.instanceId);
    const from = await this.o.revisions.get(u.instanceId, u.fromRevision);
    if (!row || !from) return false;
    const message = `revision ${u.toRevision} could not be rolled out: ${describeError(error)}`;
    this.event(row, u, 'rollout-failed', message, { fromRevision: u.fromRevision, toRevision: u.toRevision, exitCode: null, logs: [] });
    this.o.alerts.notify({ event: 'rollout-failed', status: row.status, message, data: { toRevision: u.toRevision }, at: this.now(), instance: { id: row.id, name: row.name, tenant: row.tenant, plan: row.plan } });
    await this.undo(u, row, from, message);
    await this.finish(u, { status: 'failed', message });
    return true;
  }

  private async finish(u: Upgrade, change: UpgradeChange): Promise<void> {
    await this.o.upgrades.update(u.id, { ...change, endedAt: this.now() }, ['pending', 'running']);
  }

  private async run(u: Upgrade): Promise<void> {
    let row = await this.o.repo.get(u.instanceId);
    if (!row || row.status === 'deleting') return this.finish(u, { status: 'cancelled', message: 'the instance was deleted' });
    const to = await this.o.revisions.get(u.instanceId, u.toRevision);
    const from = await this.o.revisions.get(u.instanceId, u.fromRevision);
    if (!to || !from) return this.finish(u, { status: 'failed', message: `revision ${to ? u.fromRevision : u.toRevision} is missing` });

    if (u.status === 'running') {
      // Resumed after an interruption (a crash, an engine outage).
      if (u.phase === 'committed') return this.commit(u, row, to, true);
      await this.undo(u, row, from, 'interrupted (berth restarted or the engine failed) before the new revision was healthy');
      await this.o.upgrades.update(u.id, { status: 'pending', phase: 'pending', newContainerId: null, message: 'interrupted; previous revision restored, retrying' }, ['running']);
      u = (await this.o.upgrades.get(u.id))!;
      row = (await this.o.repo.get(u.instanceId))!;
    }

    if (row.revision !== u.fromRevision) {
      return this.finish(u, { status: 'failed', message: `the instance is on revision ${row.revision} now, not ${u.fromRevision}; superseded` });
    }
    if (row.desiredState === 'stopped' && (row.status === 'stopped' || row.status === 'stopping')) return this.applyStopped(u, row, to);
    if (!STATUS.upgradable.includes(row.status)) {
      return this.finish(u, { status: 'failed', message: `instance ${row.name} is ${row.status}; an upgrade needs it running or stopped` });
    }
    if (this.o.beforeRollout) {
      try {
        await this.o.beforeRollout(this.o.view(row));
      } catch (error) {
        return this.finish(u, { status: 'failed', message: `before the rollout: ${describeError(error)}` });
      }
    }
    const old = await this.o.provisioner.findContainer(row);
    await this.o.upgrades.update(u.id, { status: 'running', phase: 'pending', oldContainerId: old?.id ?? null, startedAt: this.now() }, ['pending']);
    u = { ...u, status: 'running', oldContainerId: old?.id ?? null };
    this.o.watcher.cancel(row.id);
    if (!(await this.o.repo.transition(row.id, STATUS.upgradable, 'upgrading'))) {
      return this.finish(u, { status: 'failed', message: 'the instance changed status meanwhile; try again' });
    }
    this.event(row, u, 'upgrading', `${u.kind === 'rollback' ? 'rolling back' : 'upgrading'} from revision ${u.fromRevision} to ${u.toRevision}`, { changed: to.changed });

    // Phase created: the new container exists beside the old one.
    const next = { ...row, ...this.o.columnsOf(row, to), containerId: null } as InstanceRecord;
    const newId = await this.o.provisioner.createNext(next);
    await this.o.upgrades.update(u.id, { phase: 'created', newContainerId: newId });
    u = { ...u, phase: 'created', newContainerId: newId };

    // Phase switched: old stopped, the row on the new revision, the new container started.
    await this.o.upgrades.update(u.id, { phase: 'switched' });
    const stopAt = this.o.clock.now();
    if (old) await this.o.provisioner.stopContainer({ ...row, containerId: old.id });
    const moved = await this.o.repo.update(row.id, {
      ...this.o.columnsOf(row, to), revision: to.revision, previousRevision: from.revision, containerId: newId, startedAt: this.now(), lastError: null,
    }, ['upgrading']);
    if (!moved) return this.abandoned(u, row);
    let verdict;
    try {
      await this.o.runtime.startContainer(newId);
      const target = { id: row.id, name: row.name, tenant: row.tenant, plan: to.spec.plan, containerId: newId, hostPort: row.hostPort ?? 0, health: JSON.stringify(to.spec.health) };
      verdict = await this.o.gate.judge(target, u.healthTimeoutSeconds * 1000, async () => {
        if (this.stopping) throw new BerthError('NOT_READY', 'berth is stopping; the rollout resumes at the next boot');
        const now = await this.o.repo.get(row!.id);
        return !now || now.status !== 'upgrading' ? 'the instance was deleted or stopped during the rollout' : null;
      });
    } catch (error) {
      if (this.stopping) throw error;
      verdict = { healthy: false, reason: `the new container did not start: ${describeError(error)}`, exitCode: null, probes: 0, healthyAt: null };
    }
    if (verdict.healthy) {
      const downtimeMs = (verdict.healthyAt ?? this.o.clock.now()) - stopAt;
      await this.o.upgrades.update(u.id, { phase: 'committed', downtimeMs });
      return this.commit({ ...u, phase: 'committed', downtimeMs }, (await this.o.repo.get(row.id)) ?? row, to, false);
    }
    const current = await this.o.repo.get(row.id);
    if (!current || current.status !== 'upgrading') return this.abandoned(u, row);
    return this.failed(u, current, from, to, verdict.reason, verdict.exitCode);
  }

  /** Healthy: the old container goes, the new one takes the usual name, the monitor takes over. */
  private async commit(u: Upgrade, row: InstanceRecord, to: Revision, resumed: boolean): Promise<void> {
    if (!u.newContainerId) return this.finish(u, { status: 'failed', message: 'committed without a new container' });
    await this.o.repo.update(row.id, { ...this.o.columnsOf(row, to), revision: to.revision, containerId: u.newContainerId }, ['upgrading']);
    if (u.oldContainerId && u.oldContainerId !== u.newContainerId) await this.o.runtime.removeContainer(u.oldContainerId);
    await this.o.provisioner.takeUsualName(row, u.newContainerId);
    const fresh = (await this.o.repo.get(row.id)) ?? row;
    if (fresh.status === 'upgrading') {
      // Judged healthy just now: running. Resumed after a crash: started (if need be) and judged again by the monitor.
      if (!resumed) await this.o.repo.transition(row.id, 'upgrading', 'running', { lastError: null });
      else await this.o.provisioner.launch(fresh, ['upgrading'], u.actor, `revision ${to.revision} checked again after an interrupted rollout`);
    }
    const seconds = u.downtimeMs === null ? '' : `; ${(u.downtimeMs / 1000).toFixed(2)}s without an answer`;
    this.event(row, u, u.kind === 'rollback' ? 'rolled-back' : 'upgraded', `now on revision ${to.revision} (was ${u.fromRevision})${seconds}`, { downtimeMs: u.downtimeMs, changed: to.changed });
    await this.finish(u, { status: 'succeeded', message: `on revision ${to.revision}` });
  }

  /** The new revision failed its gate: evidence, then the old revision back (or the new one left to the monitor). */
  private async failed(u: Upgrade, row: InstanceRecord, from: Revision, to: Revision, reason: string, exitCode: number | null): Promise<void> {
    const secrets = [...this.o.secretValuesOf(to), ...this.o.secretValuesOf(from)];
    const logs = (u.newContainerId ? await this.lastLines(u.newContainerId) : []).map((line) => (secrets.length ? maskSecrets(line, secrets) : line));
    const info = u.newContainerId ? await this.o.runtime.inspectContainer(u.newContainerId).catch(() => undefined) : undefined;
    const code = exitCode ?? (info && info.state !== 'running' ? info.exitCode : null);
    const data = { fromRevision: u.fromRevision, toRevision: u.toRevision, exitCode: code, logs, failureAction: u.failureAction };
    const message = `revision ${to.revision} failed its health gate: ${reason}`;
    this.event(row, u, 'rollout-failed', message, data);
    this.o.alerts.notify({
      event: 'rollout-failed', status: row.status, message, data, at: this.now(),
      instance: { id: row.id, name: row.name, tenant: row.tenant, plan: row.plan },
    });
    if (u.failureAction === 'pause') {
      // The new revision stays; the monitor's restart policy owns it from here.
      if (u.oldContainerId) await this.o.runtime.removeContainer(u.oldContainerId);
      await this.o.provisioner.takeUsualName(row, u.newContainerId!);
      await this.o.provisioner.launch({ ...row, containerId: u.newContainerId }, ['upgrading'], u.actor, `left on revision ${to.revision} after a failed health gate (failureAction pause)`);
      return this.finish(u, { status: 'paused', message: `${message}; left on revision ${to.revision} (failureAction pause)` });
    }
    await this.undo(u, row, from, message);
    this.event(row, u, 'rolled-back', `back on revision ${from.revision} after revision ${to.revision} failed: ${reason}`, { ...data, logs: undefined });
    await this.finish(u, { status: 'rolled-back', message });
  }

  /** Puts the previous revision back: the new container goes, the row and the old container return, the monitor judges it. */
  private async undo(u: Upgrade, row: InstanceRecord, from: Revision, why: string): Promise<void> {
    if (u.newContainerId && u.newContainerId !== u.oldContainerId) await this.o.runtime.removeContainer(u.newContainerId);
    // A new container created before its id was recorded carries the -next name.
    await this.o.provisioner.removeNext(row);
    const restored = { ...this.o.columnsOf(row, from), revision: from.revision, containerId: u.oldContainerId ?? null };
    const previous = row.revision === from.revision ? row.previousRevision : row.revision;
    await this.o.repo.update(row.id, { ...restored, previousRevision: previous ?? null, lastError: why.slice(0, 500) });
    const back = (await this.o.repo.get(row.id))!;
    if (back.status === 'deleting') return;
    if (back.desiredState === 'stopped') {
      await this.o.repo.transition(row.id, 'upgrading', 'stopped');
      return;
    }
    if (back.status === 'upgrading') await this.o.provisioner.launch(back, ['upgrading'], u.actor, `revision ${from.revision} started again`);
  }

  /** A stopped instance changes without a rollout: the row takes the revision and the old container goes (the next start creates it). */
  private async applyStopped(u: Upgrade, row: InstanceRecord, to: Revision): Promise<void> {
    const container = await this.o.provisioner.findContainer(row);
    const moved = await this.o.repo.update(row.id, { ...this.o.columnsOf(row, to), revision: to.revision, previousRevision: row.revision, containerId: null }, ['stopped', 'stopping']);
    if (!moved) return this.finish(u, { status: 'failed', message: 'the instance changed status meanwhile; try again' });
    if (container) await this.o.runtime.removeContainer(container.id);
    this.event(row, u, u.kind === 'rollback' ? 'rolled-back' : 'upgraded', `stopped instance now on revision ${to.revision} (was ${u.fromRevision}); the next start uses it`, { changed: to.changed });
    await this.finish(u, { status: 'succeeded', message: `on revision ${to.revision} (applied while stopped)` });
  }

  /** Deleted or stopped during the gate: whoever did that owns the instance now; the new container goes unless it is the row's. */
  private async abandoned(u: Upgrade, row: InstanceRecord): Promise<void> {
    const now = await this.o.repo.get(row.id);
    if (now && now.status === 'stopping' && u.newContainerId) await this.o.runtime.stopContainer(u.newContainerId, 10).catch(() => undefined);
    await this.finish(u, { status: 'cancelled', message: now ? `the instance was ${now.status} during the rollout` : 'the instance was deleted during the rollout' });
  }

  private async lastLines(containerId: string): Promise<string[]> {
    const lines: string[] = [];
    try {
      for await (const line of this.o.runtime.logs(containerId, { tail: LOG_LINES })) lines.push(line.text.slice(0, 500));
    } catch (error) {
      lines.push(`(logs unavailable: ${describeError(error)})`);
    }
    return lines.slice(-LOG_LINES);
  }

  private event(row: InstanceRecord, u: Upgrade, type: string, message: string, data: Record<string, unknown>): void {
    this.o.events.record({
      instanceId: row.id, instance: row.name, tenant: row.tenant, type, actor: u.actor, message,
      data: { upgrade: u.id, ...(u.rolloutId ? { rollout: u.rolloutId } : {}), ...data },
    });
  }
}
