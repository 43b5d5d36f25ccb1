import type { Clock, TimerHandle } from '../common/clock.js';
import type { EngineLimiter } from '../common/engine-limiter.js';
import { BerthError, describeError, isBerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Alert } from '../alerts/alert-dispatcher.js';
import type { AppendEvent } from '../core/events/event-log.js';
import { STATUS, type InstanceStatus } from '../common/instance-status.js';
import type { Instance } from '../core/instances/instance-types.js';
import type { RestartPath } from '../core/instances/restart-path.js';
import type { ExitHandler, ExitInfo } from '../reconciler/exit-handler.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import type { MonitorMetrics } from './monitor-metrics.js';
import { type MonitoredInstance, type MonitorRepo } from '../store/repositories/monitor-repo.js';
import type { ProbeWriter } from './probe-writer.js';
import { appendRestart, decideRestart, type RestartPolicyMs, type RestartReason } from './restart-policy.js';

export interface RestartControllerOptions {
  repo: MonitorRepo;
  writer: ProbeWriter;
  runtime: RuntimeDriver;
  /** False while the engine is away: restarts wait, uncounted, instead of failing. */
  runtimeUp: () => boolean;
  reportRuntimeError: (error: unknown) => void;
  clock: Clock;
  logger: Logger;
  events: { record(...events: AppendEvent[]): void };
  alerts: { notify(alert: Alert): void };
  metrics: MonitorMetrics;
  /** The daemon's one engine limiter: a restart holds one slot from its inspect to its start. */
  engine: EngineLimiter;
  /** The one restart path: its spans say which exits berth caused (API restarts included); it records and counts. */
  restartPath: RestartPath;
  policyFor: (plan: string) => RestartPolicyMs;
  stopTimeoutSeconds: number;
  /** The monitor's status mirror follows each change this controller makes. */
  onStatus: (id: string, status: InstanceStatus, downSince?: number) => void;
  /** A container was started again: probe it afresh from `at`. */
  onRestarted: (id: string, containerId: string, at: number) => void;
  /** The container is gone: the reconciler recreates it. */
  reconcile: () => void;
  /** While the engine is away, look again this often. */
  deferMs?: number;
  /** Several berths on one store: decide and restart only while this process leads. */
  leading?: () => boolean;
  /** The per-instance lock: a restart never runs while someone (any berth process) acts on the instance. */
  lock?: { tryRun<T>(instanceId: string, fn: () => Promise<T>): Promise<T> | undefined };
  /** Names this process in `restarted` events (cluster.processId). */
  processId?: string;
  random?: () => number;
}

export interface FailureDetail {
  exitCode?: number | null;
  oomKilled?: boolean;
  error?: string | null;
  /** When the failure was seen (ms); defaults to now. */
  at?: number;
}

interface Pending {
  containerId: string;
  reason: RestartReason;
  decidedAt: number;
  detectedAt: number;
  delayMs: number;
  attempt: number;
  timer: TimerHandle | undefined;
}

const AWAITING_RESTART = STATUS.awaitingRestart;
const OWNED_STATUSES = STATUS.monitored;

function cause(reason: RestartReason, d: FailureDetail): string {
  if (reason === 'oom') return `container was OOM-killed (exit code ${d.exitCode ?? 'unknown'})`;
  if (reason === 'exit') return `container exited with code ${d.exitCode ?? 'unknown'}`;
  if (reason === 'unhealthy') return `health check failed: ${d.error ?? 'no answer'}`;
  return `restart failed: ${d.error ?? 'unknown error'}`;
}

const unavailable = (error: unknown): boolean => isBerthError(error) && error.code === 'RUNTIME_UNAVAILABLE';

/**
 * Restarts failed containers under the restart policy: decides the delay (or crashloop or
 * failed), records it, waits, then restarts through the runtime under a global concurrency cap.
 * Also the reconciler's ExitHandler, so exits it finds take the same path as exits seen live.
 */
export class RestartController implements ExitHandler {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private running = 0;
  private peak = 0;

  constructor(private readonly o: RestartControllerOptions) {}

  /** Most restarts ever running at once (each inside an engine slot, so at most runtime.engineConcurrency). */
  get highWater(): number {
    return this.peak;
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** True when a `die` of this container at `at` was caused by a restart of berth's own (monitor, API, job). */
  causedByUs(containerId: string, at: number): boolean {
    return this.o.restartPath.causedByUs(containerId, at);
  }

  async handleExit(instance: Instance, exit: ExitInfo): Promise<void> {
    await this.request(instance.id, exit.containerId, exit.oomKilled ? 'oom' : 'exit', { exitCode: exit.exitCode, oomKilled: exit.oomKilled });
  }

  /** Decides and schedules a restart of `id`'s container `containerId` (at most one pending per instance). */
  async request(id: string, containerId: string, reason: RestartReason, detail: FailureDetail): Promise<void> {
    if (this.stopped || this.pending.has(id) || !this.leading()) return;
    const now = this.o.clock.now();
    const entry: Pending = { containerId, reason, decidedAt: now, detectedAt: detail.at ?? now, delayMs: 0, attempt: 0, timer: undefined };
    this.pending.set(id, entry);
    try {
      const scheduled = await this.o.writer.exclusive(() => this.decide(id, entry, detail));
      if (!scheduled) this.pending.delete(id);
    } catch (error) {
      this.pending.delete(id);
      this.o.logger.warn({ instance: id, reason: describeError(error) }, 'could not decide a restart; the next failure retries');
    }
  }

  /** Picks up a restart decided earlier (a previous run of the daemon) at its recorded time. */
  resume(row: MonitoredInstance): void {
    if (this.stopped || this.pending.has(row.id) || !row.containerId || row.nextRestartAt === null) return;
    const now = this.o.clock.now();
    const entry: Pending = {
      containerId: row.containerId, reason: 'exit', decidedAt: row.nextRestartAt - row.backoffMs, detectedAt: now,
      delayMs: row.backoffMs, attempt: row.restartHistory.length, timer: undefined,
    };
    this.pending.set(row.id, entry);
    this.arm(row.id, entry, Math.max(0, row.nextRestartAt - now));
  }

  /** Forgets a pending restart (the instance was stopped, deleted or got a new container). */
  cancel(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    if (entry.timer) this.o.clock.clearTimeout(entry.timer);
    this.pending.delete(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.pending.keys()]) this.cancel(id);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs inside the writer's exclusive section. Returns whether a restart was scheduled. */
  private async decide(id: string, entry: Pending, detail: FailureDetail): Promise<boolean> {
    const row = await this.o.repo.get(id);
    if (!row || row.desiredState !== 'running' || row.containerId !== entry.containerId || !OWNED_STATUSES.includes(row.status)) return false;
    // Seen before the row showed it: berth itself stopped this container (an API or job restart).
    if (entry.reason !== 'unhealthy' && this.causedByUs(entry.containerId, entry.detectedAt)) return false;
    const now = this.o.clock.now();
    const policy = this.o.policyFor(row.plan);
    const decision = decideRestart(policy, row.restartHistory, now, { inCrashloop: row.status === 'crashloop', ...(this.o.random ? { random: this.o.random } : {}) });
    const why = cause(entry.reason, detail);
    const exitFields = entry.reason === 'exit' || entry.reason === 'oom' ? { lastExitCode: detail.exitCode ?? null, oomKilled: detail.oomKilled === true } : {};
    const base = { instanceId: id, instance: row.name, tenant: row.tenant };
    const events: AppendEvent[] = [];
    if (entry.reason === 'exit' || entry.reason === 'oom') {
      events.push({ ...base, type: 'exited', message: why, data: { exitCode: detail.exitCode ?? null, oomKilled: detail.oomKilled === true, containerId: entry.containerId } });
    }

    if (decision.kind === 'fail') {
      const message = `gave up after ${decision.attempts} restarts without a stable period; last failure: ${why}. Start or restart it to try again`;
      const applied = await this.o.repo.patch(id, entry.containerId, OWNED_STATUSES, { status: 'failed', backoffMs: 0, nextRestartAt: null, lastError: message, ...exitFields });
      if (!applied) return false;
      this.o.onStatus(id, 'failed', entry.detectedAt);
      this.o.events.record(...events, { ...base, type: 'failed', message, data: { restarts: decision.attempts, reason: entry.reason } });
      this.alert(row, 'failed', 'failed', message, { restarts: decision.attempts, reason: entry.reason });
      // A hung or failing container stops burning CPU; an exited one already has.
      if (entry.reason === 'unhealthy') {
        void this.o.runtime.stopContainer(entry.containerId, this.o.stopTimeoutSeconds).catch((error: unknown) => this.o.reportRuntimeError(error));
      }
      return false;
    }

    const applied = await this.o.repo.patch(id, entry.containerId, OWNED_STATUSES, {
      status: decision.status, backoffMs: decision.delayMs, nextRestartAt: now + decision.delayMs, lastError: why,
      ...(decision.reset ? { restartHistory: [] } : {}), ...exitFields,
    });
    if (!applied) return false;
    entry.delayMs = decision.delayMs;
    entry.attempt = decision.attempt + 1;
    this.o.onStatus(id, decision.status, entry.detectedAt);
    const seconds = Math.round(decision.delayMs / 100) / 10;
    events.push({
      ...base, type: 'restarting', message: `${why}; restarting in ${seconds}s (attempt ${entry.attempt} since the last stable run)`,
      data: { delayMs: decision.delayMs, attempt: entry.attempt, reason: entry.reason, restartsInWindow: decision.inWindow },
    });
    if (decision.status === 'crashloop' && row.status !== 'crashloop') {
      const message = `crash loop: ${decision.inWindow + 1} restarts within ${Math.round(policy.windowMs / 1000)}s; retrying every ${Math.round(policy.capMs / 1000)}s at most`;
      events.push({ ...base, type: 'crashloop', message, data: { restartsInWindow: decision.inWindow + 1, delayMs: decision.delayMs } });
      this.alert(row, 'crashloop', 'crashloop', message, { restartsInWindow: decision.inWindow + 1, delayMs: decision.delayMs, lastFailure: why });
    }
    this.o.events.record(...events);
    this.o.logger.info({ instance: row.name, delayMs: decision.delayMs, attempt: entry.attempt, status: decision.status, reason: entry.reason }, 'restart scheduled');
    this.arm(id, entry, decision.delayMs);
    return true;
  }

  private arm(id: string, entry: Pending, delayMs: number): void {
    entry.timer = this.o.clock.setTimeout(() => {
      entry.timer = undefined;
      const run = this.perform(id, entry).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, delayMs);
    entry.timer.unref?.();
  }

  private async perform(id: string, entry: Pending): Promise<void> {
    if (this.stopped || this.pending.get(id) !== entry) return;
    if (!this.o.runtimeUp()) {
      this.defer(id, entry, 'the container engine is away');
      return;
    }
    try {
      await this.o.engine.run(() => this.counted(() => this.restartNow(id, entry)));
    } catch (error) {
      this.pending.delete(id);
      this.o.logger.warn({ instance: id, reason: describeError(error) }, 'restart attempt crashed; the next failure retries');
    }
  }

  /** Keeps the restarts-in-flight gauges: restarts that hold an engine slot right now. */
  private async counted(fn: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    this.o.metrics.restartsInFlight.set(this.running);
    this.o.metrics.restartsInFlightMax.set(this.peak);
    try {
      await fn();
    } finally {
      this.running--;
      this.o.metrics.restartsInFlight.set(this.running);
    }
  }

  /** Waits for the engine without counting an attempt: its absence is not the instance's fault. */
  private defer(id: string, entry: Pending, why: string): void {
    this.o.logger.debug({ instance: id, why }, 'restart deferred');
    this.arm(id, entry, this.o.deferMs ?? 1000);
  }

  private leading(): boolean {
    return this.o.leading?.() ?? true;
  }

  /** Under the instance's lock; busy (an API action, another process): looked at again shortly. */
  private async restartNow(id: string, entry: Pending): Promise<void> {
    if (this.stopped || this.pending.get(id) !== entry) return;
    if (!this.leading()) {
      this.pending.delete(id);
      return;
    }
    if (!this.o.lock) return this.restartLocked(id, entry);
    try {
      const run = this.o.lock.tryRun(id, () => this.restartLocked(id, entry));
      if (run) return await run;
    } catch (error) {
      if (!isBerthError(error) || error.code !== 'INSTANCE_BUSY') throw error;
    }
    this.defer(id, entry, 'someone is acting on the instance');
  }

  private async restartLocked(id: string, entry: Pending): Promise<void> {
    if (this.stopped || this.pending.get(id) !== entry || !this.leading()) return;
    const row = await this.o.repo.get(id);
    if (!row || row.desiredState !== 'running' || row.containerId !== entry.containerId || !AWAITING_RESTART.includes(row.status) || row.nextRestartAt === null) {
      this.pending.delete(id);
      return;
    }
    const base = { instanceId: id, instance: row.name, tenant: row.tenant };
    const policy = this.o.policyFor(row.plan);
    let live: boolean;
    try {
      const info = await this.o.runtime.inspectContainer(entry.containerId);
      if (!info) {
        this.pending.delete(id);
        this.o.events.record({ ...base, type: 'restart-failed', message: 'the container no longer exists; the reconciler recreates it', data: { reason: entry.reason } });
        this.o.reconcile();
        return;
      }
      const startedAt = info.startedAt ? Date.parse(info.startedAt) : 0;
      if (info.state === 'running' && entry.reason !== 'unhealthy' && startedAt >= entry.decidedAt) {
        // Already started again (by the reconciler, an operator, docker): still a comeback from a failure, so counted.
        await this.o.writer.exclusive(() => this.o.repo.patch(id, entry.containerId, AWAITING_RESTART, { nextRestartAt: null, startedAt, incrementRestarts: true }));
        this.pending.delete(id);
        this.o.events.record({ ...base, type: 'restart-skipped', message: 'the container was already started again; counted as a restart' });
        this.o.onRestarted(id, entry.containerId, startedAt);
        return;
      }
      live = info.state === 'running' || info.state === 'paused' || info.state === 'restarting';
    } catch (error) {
      await this.engineRefused(id, row, entry, policy, error);
      return;
    }
    let engineError: unknown;
    let restartedAt = 0;
    try {
      await this.o.restartPath.restart({ ...base, containerId: entry.containerId, cause: entry.reason, actor: 'berth' }, {
        engine: async () => {
          try {
            if (live) await this.o.runtime.restartContainer(entry.containerId, this.o.stopTimeoutSeconds);
            else await this.o.runtime.startContainer(entry.containerId);
          } catch (error) {
            engineError = error;
            throw error;
          }
        },
        commit: async (at) => {
          restartedAt = at;
          await this.o.writer.exclusive(() => this.o.repo.patch(id, entry.containerId, AWAITING_RESTART, {
            restartHistory: appendRestart(policy, row.restartHistory, at), incrementRestarts: true, startedAt: at, nextRestartAt: null, consecutiveFailures: 0,
          }));
          this.pending.delete(id);
          return {
            message: `container started again (attempt ${entry.attempt}, ${Math.round((at - entry.detectedAt) / 100) / 10}s after the failure was seen)`,
            data: { attempt: entry.attempt, reason: entry.reason, delayMs: entry.delayMs, sinceFailureMs: at - entry.detectedAt, ...(this.o.processId ? { by: this.o.processId } : {}) },
          };
        },
      });
    } catch (error) {
      if (engineError === undefined) throw error;
      await this.engineRefused(id, row, entry, policy, error);
      return;
    }
    this.o.onRestarted(id, entry.containerId, restartedAt);
    await this.endedMeanwhile(id, entry.containerId, restartedAt);
  }

  /**
   * One look after a committed restart: a process that ended before the commit (a Swarm task
   * that lived 200 ms) had its exit set aside while the restart was pending, and no later event
   * will tell of it. Seen ended now, it is a new failure like any other.
   */
  private async endedMeanwhile(id: string, containerId: string, restartedAt: number): Promise<void> {
    const info = await this.o.runtime.inspectContainer(containerId).catch(() => undefined);
    if (info?.state !== 'exited') return;
    // Dated after the restart's span (which includes its last millisecond): not taken for berth's own stop.
    const at = Math.max(this.o.clock.now(), restartedAt + 1);
    void this.request(id, containerId, info.oomKilled ? 'oom' : 'exit', { exitCode: info.exitCode, oomKilled: info.oomKilled, at });
  }

  /** An engine call failed: wait for an engine that is away, count an attempt when it refused. */
  private async engineRefused(id: string, row: MonitoredInstance, entry: Pending, policy: RestartPolicyMs, error: unknown): Promise<void> {
    if (unavailable(error)) {
      this.o.reportRuntimeError(error);
      this.defer(id, entry, describeError(error));
      return;
    }
    await this.restartFailed(id, row, entry, policy, error);
  }

  /** The engine refused (image gone, port taken…): an event and a counted attempt, never a crash. */
  private async restartFailed(id: string, row: MonitoredInstance, entry: Pending, policy: RestartPolicyMs, error: unknown): Promise<void> {
    const message = describeError(error);
    const code = error instanceof BerthError ? error.code : 'UNKNOWN';
    this.o.metrics.restartFailures.inc({ code });
    this.o.events.record({ instanceId: id, instance: row.name, tenant: row.tenant, type: 'restart-failed', message: `restart failed: ${message}`, data: { code, reason: entry.reason } });
    const at = this.o.clock.now();
    await this.o.writer.exclusive(() => this.o.repo.patch(id, entry.containerId, AWAITING_RESTART, {
      restartHistory: appendRestart(policy, row.restartHistory, at), nextRestartAt: null, lastError: `restart failed: ${message}`,
    })).catch(() => undefined);
    this.pending.delete(id);
    await this.request(id, entry.containerId, 'restart-failed', { error: message, at: entry.detectedAt });
  }

  private alert(row: MonitoredInstance, event: string, status: InstanceStatus, message: string, data: Record<string, unknown>): void {
    this.o.alerts.notify({
      event, status, message, data, at: new Date(this.o.clock.now()).toISOString(),
      instance: { id: row.id, name: row.name, tenant: row.tenant, plan: row.plan },
    });
  }
}
