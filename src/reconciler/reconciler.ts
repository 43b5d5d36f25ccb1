import type { Clock, TimerHandle } from '../common/clock.js';
import { describeError, isBerthError } from '../common/errors.js';
import { mapLimit } from '../common/map-limit.js';
import { backoffDelay } from '../common/retry.js';
import type { Logger } from '../common/logger.js';
import type { EventLog } from '../core/events/event-log.js';
import type { StartWatcher } from '../core/instances/start-watcher.js';
import type { InstanceProvisioner } from '../core/instances/instance-provisioner.js';
import { STATUS, type InstanceStatus } from '../common/instance-status.js';
import { toInstance } from '../core/instances/instance-view.js';
import type { InstanceLock } from '../core/instances/instance-locks.js';
import type { NetworkManager } from '../core/networks/network-manager.js';
import type { Service } from '../common/lifecycle.js';
import { LABELS, scopeFilter } from '../runtime/labels.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import type { InstanceRecord, InstancesRepo } from '../store/repositories/instances-repo.js';
import type { WorkspacesRepo } from '../store/repositories/workspaces-repo.js';
import type { NetworksRepo } from '../store/repositories/networks-repo.js';
import type { ExitHandler, ExitInfo } from './exit-handler.js';
import { findOrphans, NETWORK_GRACE_MS, removeOrphans, type OrphanDeps } from './find-orphans.js';

export interface ReconcilerOptions {
  repo: InstancesRepo;
  networksRepo: NetworksRepo;
  workspaces: WorkspacesRepo;
  provisioner: InstanceProvisioner;
  networks: NetworkManager;
  watcher: StartWatcher;
  runtime: RuntimeDriver;
  /** The runtime status tracker: passes only run while the engine is up. */
  status: { readonly state: string; report(error: unknown): void; onUp(listener: () => void): void };
  /** Per-instance lock: the reconciler skips an instance someone (any berth process) is acting on. */
  lock: Pick<InstanceLock, 'tryRun'>;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  scope: string;
  bindAddress: string;
  intervalMs: number;
  exitHandler: ExitHandler;
  concurrency: number;
  /** Told how long each pass took, for the reconcile metrics; a skipped pass (engine away) too. */
  onPass?: (seconds: number, outcome: 'ok' | 'error' | 'skipped') => void;
  /** Several berths on one store: passes (and each row) act only while this process leads. */
  leading?: () => boolean;
}

export interface ReconcileReport {
  skipped?: string;
  rows: number;
  orphanContainers: number;
  orphanVolumes: number;
  orphanNetworks: number;
  exits: number;
  errors: string[];
  /** Instances skipped because another berth process held their lock (looked at again in a few seconds). */
  busy?: number;
}

/** The monitor's policy decides exited instances in these statuses; the reconciler leaves them be. */
const MONITOR_OWNED: readonly InstanceStatus[] = STATUS.monitorOwned;
const EXPECTED_UP: readonly InstanceStatus[] = STATUS.expectedUp;
const BUSY_RETRY_MS = 2000;

/**
 * Level-triggered convergence of the runtime (what exists, by this scope's labels) to the
 * store (what should exist). Runs at boot, on a timer, when the engine comes back and on
 * trigger(). Touches nothing while the engine is away, and nothing outside its scope.
 */
export class Reconciler implements Service {
  readonly name = 'reconciler';
  private timer: TimerHandle | undefined;
  private running: Promise<ReconcileReport> | undefined;
  private again = false;
  private stopped = true;
  private failedPasses = 0;
  private listening = false;
  /** The last pass skipped instances another process was acting on: look again soon, not after the interval. */
  private busyRetry = false;

  constructor(private readonly o: ReconcilerOptions) {}

  /** The monitor replaces the default exit policy with its backoff policy. */
  setExitHandler(handler: ExitHandler): void {
    this.o.exitHandler = handler;
  }

  async start(): Promise<void> {
    this.stopped = false;
    // Started again on each leadership term: one listener is enough.
    if (!this.listening) this.o.status.onUp(() => this.trigger('runtime back'));
    this.listening = true;
    const report = await this.reconcileNow();
    this.o.logger.info({ ...report, errors: report.errors.length }, 'boot reconcile done');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Asks for a pass soon (coalesced): runtime events, the engine coming back. */
  trigger(reason = 'triggered'): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.o.logger.debug({ reason }, 'reconcile triggered');
    void this.reconcileNow();
  }

  /** One full pass now (or joins the one in progress). */
  reconcileNow(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.reconcileNow();
      }
    });
    return this.running;
  }

  /** The next pass: after the interval, or sooner (1 s, doubling) while passes end with errors. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    const delay = this.failedPasses > 0
      ? backoffDelay(this.failedPasses - 1, { baseMs: 1000, capMs: this.o.intervalMs, jitter: 0 })
      : this.busyRetry ? Math.min(BUSY_RETRY_MS, this.o.intervalMs) : this.o.intervalMs;
    this.timer = this.o.clock.setTimeout(() => {
      void this.reconcileNow().finally(() => this.schedule());
    }, delay);
    this.timer.unref?.();
  }

  private async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = { rows: 0, orphanContainers: 0, orphanVolumes: 0, orphanNetworks: 0, exits: 0, errors: [] };
    if (this.o.status.state !== 'up') {
      this.o.onPass?.(0, 'skipped');
      return { ...report, skipped: 'runtime not up' };
    }
    if (this.o.leading && !this.o.leading()) return { ...report, skipped: 'not the leader' };
    const started = performance.now();
    try {
      await this.converge(report);
    } catch (error) {
      // Any failure to observe aborts the pass before anything is removed on a partial view.
      this.o.status.report(error);
      report.errors.push(describeError(error));
      this.o.logger.warn({ reason: describeError(error) }, 'reconcile pass aborted');
    }
    this.o.onPass?.((performance.now() - started) / 1000, report.errors.length ? 'error' : 'ok');
    if (report.errors.length) this.o.logger.warn({ errors: report.errors.slice(0, 5) }, 'reconcile pass had errors');
    this.failedPasses = report.errors.length ? Math.min(this.failedPasses + 1, 16) : 0;
    this.busyRetry = (report.busy ?? 0) > 0;
    // A failed pass (from any trigger) is retried soon rather than after the full interval.
    if ((report.errors.length || this.busyRetry) && this.timer) this.schedule();
    return report;
  }

  private async converge(report: ReconcileReport): Promise<void> {
    // One listing instead of one inspect per row: a row whose container is listed running as
    // berth made it needs nothing from this pass (at 500 instances, a read and an inspect per
    // row were most of the pass's cost, every 30 s).
    const listed = new Map((await this.o.runtime.listContainers({ labels: scopeFilter(this.o.scope), all: true })).map((c) => [c.id, c]));
    const rows = await this.o.repo.listAll();
    report.rows = rows.length;
    const exits: Array<{ row: InstanceRecord; exit: ExitInfo }> = [];
    const unsettled = rows.filter((row) => !settled(row, row.containerId ? listed.get(row.containerId) : undefined));
    await mapLimit(unsettled, this.o.concurrency, async (row) => {
      const work = this.o.lock.tryRun(row.id, () => this.convergeRow(row.id, exits));
      if (!work) return; // the API or a create is acting on it right now
      try {
        await work;
      } catch (error) {
        if (isBerthError(error) && error.code === 'INSTANCE_BUSY') {
          // Another berth process is acting on it (or died holding its lock, which expires).
          report.busy = (report.busy ?? 0) + 1;
          return;
        }
        this.o.status.report(error);
        report.errors.push(`${row.name}: ${describeError(error)}`);
      }
    });
    for (const { row, exit } of exits) {
      if (this.o.leading && !this.o.leading()) return;
      report.exits++;
      await this.o.exitHandler.handleExit(toInstance(row, this.o.bindAddress), exit)
        .catch((error: unknown) => report.errors.push(`${row.name}: exit handler: ${describeError(error)}`));
    }

    if (this.o.leading && !this.o.leading()) return;
    // Orphans, by the same rules `berth gc` shows: kept workspaces stay.
    const deps: OrphanDeps = { repo: this.o.repo, workspaces: this.o.workspaces, networksRepo: this.o.networksRepo, runtime: this.o.runtime, scope: this.o.scope, now: () => this.o.clock.now() };
    const { removed, failed } = await removeOrphans(deps, await findOrphans(deps), { keptVolumes: false });
    for (const c of removed.containers) {
      this.o.events.record({
        instanceId: c.instance, instance: c.name.replace(`berth-${this.o.scope}-`, ''), tenant: c.tenant,
        type: 'orphan-removed', message: `removed container ${c.name}: ${c.reason}`, data: { containerId: c.id },
      });
    }
    for (const v of removed.volumes) this.o.logger.info({ volume: v.name, reason: v.reason }, 'removed orphan workspace volume');
    for (const n of removed.networks) this.o.logger.info({ network: n.name, reason: n.reason }, 'removed orphan tenant network');
    report.orphanContainers = removed.containers.length;
    report.orphanVolumes = removed.volumes.length;
    report.orphanNetworks = removed.networks.length;
    for (const f of failed) report.errors.push(`${f.kind} ${f.name}: ${f.error}`);

    // A subnet allocated for a tenant whose network was never made (crash) and that no instance uses.
    for (const r of await this.o.networksRepo.list()) {
      if (this.o.clock.now() - Date.parse(r.createdAt) < NETWORK_GRACE_MS || (await this.o.repo.countOnNetwork(r.name)) > 0) continue;
      if (await this.o.networks.release(r.tenant, (name) => this.o.repo.countOnNetwork(name))) report.orphanNetworks++;
    }
  }

  /** One instance: finish half-done work, recreate what is missing, hand exits to the policy. */
  private async convergeRow(id: string, exits: Array<{ row: InstanceRecord; exit: ExitInfo }>): Promise<void> {
    // Leadership can be lost mid-pass: the rest of the rows are left to the new leader.
    if (this.o.leading && !this.o.leading()) return;
    const row = await this.o.repo.get(id);
    if (!row) return;
    const p = this.o.provisioner;
    if (row.status === 'deleting') return p.finishDelete(id, 'berth');
    if (row.status === 'creating') return p.finishCreate(id, 'berth');
    // A rollout owns it (both containers); an interrupted one is resumed by the upgrade worker.
    if (row.status === 'upgrading') return;
    const status = row.status;
    const container = await p.findContainer(row);

    if (row.desiredState === 'stopped') {
      if (container?.state === 'running') await p.stopContainer(row);
      if (status !== 'stopped' && (await this.o.repo.transition(id, status, 'stopped'))) {
        this.o.events.record({ instanceId: id, instance: row.name, tenant: row.tenant, type: 'stopped', message: 'container is stopped, as desired' });
      }
      return;
    }

    if (!container) {
      if (MONITOR_OWNED.includes(status) && status !== 'restarting') return;
      await p.launch(row, [status], 'berth', 'container was missing; recreated', 'recreated');
      return;
    }
    if (container.state === 'running') {
      if (container.labels[LABELS.port] !== String(row.hostPort)) {
        await p.launch(row, [status], 'berth', `container published an old port; recreated on ${row.hostPort}`, 'recreated');
      } else if (status === 'starting') {
        this.o.watcher.watch(id);
      } else if (status === 'stopping' || status === 'stopped') {
        if (await this.o.repo.transition(id, status, 'starting', { lastError: null })) this.o.watcher.watch(id);
      }
      return;
    }
    if (container.state !== 'exited' && container.state !== 'created' && container.state !== 'dead') return;
    if (MONITOR_OWNED.includes(status)) return;
    if (status === 'stopping' || status === 'stopped') {
      // Interrupted start or restart: the intent (running) wins.
      await p.launch(row, [status], 'berth', 'start was interrupted; started again');
      return;
    }
    if (EXPECTED_UP.includes(status)) {
      exits.push({ row, exit: { containerId: container.id, exitCode: container.exitCode, oomKilled: container.oomKilled, finishedAt: container.finishedAt } });
    }
  }
}

/** Up as desired, on the container berth made for it, publishing its port: convergeRow would do nothing. */
function settled(row: InstanceRecord, container: { state: string; labels: Record<string, string> } | undefined): boolean {
  return row.desiredState === 'running' && (row.status === 'running' || row.status === 'unhealthy')
    && container?.state === 'running' && container.labels[LABELS.instance] === row.id && container.labels[LABELS.port] === String(row.hostPort);
}
