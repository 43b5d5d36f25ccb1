import type { Clock, TimerHandle } from '../common/clock.js';
import type { EngineLimiter } from '../common/engine-limiter.js';
import { describeError } from '../common/errors.js';
import type { ComponentHealth } from '../common/health.js';
import type { Logger } from '../common/logger.js';
import type { BerthConfig } from '../config/schema.js';
import type { Alert } from '../alerts/alert-dispatcher.js';
import type { AppendEvent } from '../core/events/event-log.js';
import { STATUS, type InstanceStatus } from '../common/instance-status.js';
import type { Service } from '../common/lifecycle.js';
import type { StartWatcher } from '../core/instances/start-watcher.js';
import type { GateTarget, GateVerdict, HealthGate } from '../core/upgrades/health-gate.js';
import { judgeRollout } from './rollout-judge.js';
import type { ExitHandler } from '../reconciler/exit-handler.js';
import { LABELS } from '../runtime/labels.js';
import type { RuntimeDriver, RuntimeEvent } from '../runtime/runtime-driver.js';
import { resolveHealthSpec, resolveRestartPolicy, type HealthSpecMs } from './health-spec.js';
import { HttpProber, probeHost } from './http-prober.js';
import type { MonitorMetrics } from './monitor-metrics.js';
import type { MonitoredInstance, MonitorRepo, ProbeWrite } from '../store/repositories/monitor-repo.js';
import { ProbeScheduler } from './probe-scheduler.js';
import { ProbeState } from './probe-state.js';
import { ProbeWriter, type QueuedProbe } from './probe-writer.js';
import { RestartController, type RestartControllerOptions } from './restart-controller.js';
import { isStable, type RestartPolicyMs } from './restart-policy.js';
import { RuntimeEventWatcher } from './runtime-event-watcher.js';
import type { RestartPath } from '../core/instances/restart-path.js';

export interface MonitorOptions {
  config: Pick<BerthConfig, 'health' | 'restart' | 'plans' | 'monitor' | 'runtime'>;
  repo: MonitorRepo;
  runtime: RuntimeDriver;
  runtimeStatus: { readonly state: string; report(error: unknown): void };
  events: { append(...events: AppendEvent[]): Promise<void>; record(...events: AppendEvent[]): void };
  alerts: { notify(alert: Alert): void };
  metrics: MonitorMetrics;
  /** The daemon's one engine limiter (runtime.engineConcurrency). */
  engine: EngineLimiter;
  /** The one restart path, shared with the instances service: its restarts are never taken for crashes. */
  restartPath: RestartPath;
  clock: Clock;
  logger: Logger;
  /** Checks an instance's critical s6 services (health.services); a problem fails the probe. */
  serviceCheck?: (target: { id: string; name: string; tenant: string; plan: string; containerId: string; health: string; scanDir?: string | null }) => Promise<string | null>;
  /** Probe cadence inside a start period, so a fresh start is seen healthy soon after it is. */
  startProbeIntervalMs?: number;
  random?: () => number;
  /** Several berths on one store: restarts are decided and made only while this process leads. */
  leading?: () => boolean;
  /** The per-instance lock shared with the API (and other berth processes). */
  instanceLock?: RestartControllerOptions['lock'];
  /** Names this process in restart events (cluster.processId). */
  processId?: string;
}

interface Tracked {
  row: MonitoredInstance;
  spec: HealthSpecMs;
  policy: RestartPolicyMs;
  probe: ProbeState;
  /** Local change counter: a store read older than this does not overwrite the mirror. */
  touched: number;
  /** When the current outage was first seen, for "back after" reporting. */
  downSince: number | undefined;
}


/**
 * Keeps desired-running instances alive: probes their health over published ports, follows
 * the runtime's event stream to act on exits at once, and hands failures to the restart
 * policy. Probe results are written in batches; status changes are conditional writes.
 * It is the one health judge: a container the instances service just started is watched from
 * here too (`watch`), even while the monitor loop itself is disabled (first health only).
 */
export class Monitor implements Service, StartWatcher, HealthGate {
  readonly name = 'monitor';
  private readonly tracked = new Map<string, Tracked>();
  private readonly prober: HttpProber;
  private readonly scheduler: ProbeScheduler;
  private readonly writer: ProbeWriter;
  private readonly restarts: RestartController;
  private readonly watcher: RuntimeEventWatcher;
  private readonly oomSeen = new Set<string>();
  private readonly startProbeIntervalMs: number;
  private reconcileTrigger: (() => void) | undefined;
  private syncTimer: TimerHandle | undefined;
  private syncing: Promise<void> | undefined;
  private seq = 0;
  private state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(private readonly o: MonitorOptions) {
    this.startProbeIntervalMs = o.startProbeIntervalMs ?? 1000;
    this.prober = new HttpProber(probeHost(o.config.runtime.bindAddress));
    this.writer = new ProbeWriter(o.repo, o.events, o.logger);
    this.scheduler = new ProbeScheduler({
      clock: o.clock,
      concurrency: o.config.monitor.probeConcurrency,
      probe: (id) => this.probeOnce(id).catch((error: unknown) => o.logger.warn({ instance: id, reason: describeError(error) }, 'probe handling failed')),
      interval: (id) => this.tracked.get(id)?.probe.nextDelay(o.clock.now(), this.startProbeIntervalMs) ?? 1000,
      onInFlight: (active) => o.metrics.probesInFlight.set(active),
      tenantOf: (id) => this.tracked.get(id)?.row.tenant,
      perTenantConcurrency: o.config.monitor.probeConcurrencyPerTenant,
      onWait: (id, ms) => o.metrics.probeWait.observe({ tenant: this.tracked.get(id)?.row.tenant ?? '' }, ms / 1000),
      ...(o.random ? { random: o.random } : {}),
    });
    this.restarts = new RestartController({
      repo: o.repo,
      writer: this.writer,
      runtime: o.runtime,
      runtimeUp: () => o.runtimeStatus.state !== 'down',
      reportRuntimeError: (error) => o.runtimeStatus.report(error),
      clock: o.clock,
      logger: o.logger,
      events: o.events,
      alerts: o.alerts,
      metrics: o.metrics,
      engine: o.engine,
      restartPath: o.restartPath,
      policyFor: (plan) => resolveRestartPolicy(o.config, plan),
      stopTimeoutSeconds: o.config.runtime.stopTimeoutSeconds,
      onStatus: (id, status, downSince) => this.mirror(id, status, downSince),
      onRestarted: (id, containerId, at) => this.freshRun(id, containerId, at),
      reconcile: () => this.reconcileTrigger?.(),
      ...(o.random ? { random: o.random } : {}),
      ...(o.leading ? { leading: o.leading } : {}),
      ...(o.instanceLock ? { lock: o.instanceLock } : {}),
      ...(o.processId ? { processId: o.processId } : {}),
    });
    this.watcher = new RuntimeEventWatcher({
      runtime: o.runtime,
      scope: o.config.runtime.scope,
      clock: o.clock,
      logger: o.logger,
      onEvent: (event) => this.onRuntimeEvent(event),
      onConnected: (reconnect) => {
        o.metrics.eventStreamUp.set(1);
        if (reconnect) {
          o.logger.info('runtime event stream back; asking the reconciler to catch up');
          this.reconcileTrigger?.();
        }
      },
      onDisconnected: () => o.metrics.eventStreamUp.set(0),
      report: (error) => o.runtimeStatus.report(error),
    });
  }

  /** The policy-based exit handler the reconciler calls for exits it finds. */
  get exitHandler(): ExitHandler {
    return this.restarts;
  }

  /** Most restarts that ever ran at once (bounded by runtime.engineConcurrency). */
  get restartHighWater(): number {
    return this.restarts.highWater;
  }

  /** Wires the reconciler's coalesced trigger, called when the event stream reconnects. */
  setReconcileTrigger(trigger: () => void): void {
    this.reconcileTrigger = trigger;
  }

  health(): ComponentHealth {
    if (this.state === 'idle') return { status: 'starting' };
    if (this.state === 'stopped') return { status: 'down', detail: 'stopped' };
    const watching = `${this.tracked.size} instances watched`;
    if (!this.watcher.connected) return { status: 'degraded', detail: `runtime event stream down (${this.watcher.lastError ?? 'connecting'}); probes continue; ${watching}` };
    return { status: 'up', detail: watching };
  }

  async start(): Promise<void> {
    this.state = 'running';
    this.watcher.start();
    await this.sync().catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'first monitor sync failed; retrying'));
    this.scheduleSync();
    this.o.logger.info({ instances: this.tracked.size, probeConcurrency: this.o.config.monitor.probeConcurrency, engineConcurrency: this.o.engine.size }, 'monitor started');
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.syncTimer) this.o.clock.clearTimeout(this.syncTimer);
    await this.syncing?.catch(() => undefined);
    await Promise.all([this.watcher.stop(), this.scheduler.stop(), this.restarts.stop()]);
    await this.writer.flush().catch(() => undefined);
    this.prober.close();
  }

  private scheduleSync(): void {
    if (this.state !== 'running') return;
    this.syncTimer = this.o.clock.setTimeout(() => {
      this.syncing = this.sync()
        .catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'monitor sync failed'))
        .finally(() => this.scheduleSync());
    }, this.o.config.monitor.flushIntervalMs);
    this.syncTimer.unref?.();
  }

  /** Writes pending probe results, then re-reads which instances to watch. */
  private async sync(): Promise<void> {
    await this.writer.flush();
    const readAt = this.seq;
    const rows = await this.o.repo.listMonitored();
    if (this.state !== 'running') return;
    const seen = new Set<string>();
    for (const row of rows) {
      if (!row.containerId || !row.hostPort) continue;
      seen.add(row.id);
      const t = this.tracked.get(row.id);
      if (t && t.touched > readAt) continue;
      if (!t) this.track(row);
      else this.refresh(t, row);
      // A restart decided before this daemon started (or before a lost timer) is picked up at its time.
      if (row.nextRestartAt !== null && (row.status === 'restarting' || row.status === 'crashloop')) this.restarts.resume(row);
    }
    for (const [id, t] of this.tracked) {
      if (seen.has(id) || t.touched > readAt) continue;
      this.tracked.delete(id);
      this.scheduler.remove(id);
      this.restarts.cancel(id);
    }
  }

  private track(row: MonitoredInstance, watched = false): Tracked {
    const spec = resolveHealthSpec(this.o.config, row.plan, row.health);
    const t: Tracked = {
      row, spec, policy: resolveRestartPolicy(this.o.config, row.plan),
      probe: new ProbeState(spec, row.startedAt ?? this.o.clock.now(), watched), touched: 0, downSince: undefined,
    };
    this.tracked.set(row.id, t);
    this.scheduler.add(row.id, watched ? 0 : undefined);
    return t;
  }

  /** A container was just started (create, start, restart, recreate): probe it now, then fast until it first passes. */
  watch(id: string): void {
    if (this.state === 'stopped') return;
    void this.watchNow(id).catch((error: unknown) => this.o.logger.warn({ instance: id, reason: describeError(error) }, 'could not watch a new start'));
  }

  /** A rollout's health gate, judged with this monitor's prober and rules (see rollout-judge.ts). */
  judge(target: GateTarget, deadlineMs: number, abandon?: () => Promise<string | null>): Promise<GateVerdict> {
    const { config, runtime, clock, serviceCheck } = this.o;
    return judgeRollout({ config, prober: this.prober, runtime, clock, startProbeIntervalMs: this.startProbeIntervalMs, ...(serviceCheck ? { serviceCheck } : {}) }, target, deadlineMs, abandon);
  }

  /** Stopped, restarted or deleted on request: forget this run (a new start is watched afresh). */
  cancel(id: string): void {
    if (!this.tracked.delete(id)) return;
    this.scheduler.remove(id);
    this.restarts.cancel(id);
  }

  private async watchNow(id: string): Promise<void> {
    const row = await this.o.repo.get(id);
    if (this.state === 'stopped' || !row || row.desiredState !== 'running' || row.status !== 'starting' || !row.containerId || !row.hostPort) return;
    const t = this.tracked.get(id);
    if (!t) {
      this.track(row, true).touched = ++this.seq;
      return;
    }
    // Already watching this run (the reconciler asks again on each pass): nothing new to do.
    if (t.row.containerId === row.containerId && row.startedAt !== null && row.startedAt <= t.probe.startedAt) return;
    this.restarts.cancel(id);
    t.row = row;
    t.probe = new ProbeState(t.spec, row.startedAt ?? this.o.clock.now(), true);
    t.touched = ++this.seq;
    this.scheduler.probeSoon(id, 0);
  }

  private refresh(t: Tracked, row: MonitoredInstance): void {
    const newContainer = row.containerId !== t.row.containerId;
    // The instances service (start, restart, recreate) stamps started_at: a new run to probe afresh.
    const startedElsewhere = row.startedAt !== null && row.startedAt > t.probe.startedAt;
    if (row.health !== t.row.health || row.plan !== t.row.plan) {
      t.spec = resolveHealthSpec(this.o.config, row.plan, row.health);
      t.policy = resolveRestartPolicy(this.o.config, row.plan);
    }
    t.row = row;
    if (newContainer) this.restarts.cancel(row.id);
    if (newContainer || startedElsewhere) {
      t.probe = new ProbeState(t.spec, row.startedAt ?? this.o.clock.now());
      this.scheduler.probeSoon(row.id, Math.min(this.startProbeIntervalMs, t.spec.intervalMs));
    }
  }

  private mirror(id: string, status: InstanceStatus, downSince?: number): void {
    const t = this.tracked.get(id);
    if (!t) return;
    t.row = { ...t.row, status };
    t.touched = ++this.seq;
    if (downSince !== undefined) t.downSince ??= downSince;
  }

  /** The container (re)started at `at`: a new run with its own start period, probed soon. */
  private freshRun(id: string, containerId: string, at: number): void {
    const t = this.tracked.get(id);
    if (!t || t.row.containerId !== containerId) return;
    t.probe = new ProbeState(t.spec, at);
    t.row = { ...t.row, startedAt: at, nextRestartAt: null };
    t.touched = ++this.seq;
    // A first look right away: an agent that boots fast is seen running within a quarter second.
    this.scheduler.probeSoon(id, Math.min(250, t.spec.intervalMs));
  }

  private async probeOnce(id: string): Promise<void> {
    const t = this.tracked.get(id);
    // While a restart is pending, the container is known bad: probing it would only add noise.
    // Failed (the policy gave up) is left to the next sync to drop; it is not probed meanwhile.
    if (!t || !t.row.hostPort || !t.row.containerId || this.restarts.isPending(id) || !STATUS.monitored.includes(t.row.status)) return;
    const { containerId } = t.row;
    const run = t.probe;
    let result = await this.prober.probe(t.row.hostPort, t.spec.path, t.spec.timeoutMs, this.o.runtime.probeAddress?.(containerId));
    if (result.ok && this.o.serviceCheck) {
      const problem = await this.o.serviceCheck({ ...t.row, containerId }).catch((error: unknown) => {
        this.o.logger.debug({ instance: t.row.name, reason: describeError(error) }, 'critical services not checked');
        return null;
      });
      if (problem) result = { ...result, ok: false, failure: 'service', error: problem };
    }
    this.o.metrics.probeDuration.observe({ result: result.ok ? 'ok' : 'fail' }, result.latencyMs / 1000);
    if (result.failure) this.o.metrics.probeFailures.inc({ reason: result.failure });
    if (this.tracked.get(id) !== t || t.probe !== run || t.row.containerId !== containerId || this.restarts.isPending(id)
      || !STATUS.monitored.includes(t.row.status) || this.state === 'stopped') return;
    // Not running (not started yet, or disabled): only a watched start's first health is judged.
    const firstOnly = this.state !== 'running';

    const now = this.o.clock.now();
    const previous = t.row.status;
    const verdict = run.observe(result.ok, now, previous);
    const write: ProbeWrite = { id, containerId, at: now, ok: result.ok, latencyMs: result.latencyMs, consecutiveFailures: run.consecutiveFailures, error: result.error };
    if (result.ok && t.row.restartHistory.length && isStable(t.policy, t.row.restartHistory, now)) {
      write.resetBackoff = true;
      t.row = { ...t.row, restartHistory: [], backoffMs: 0 };
    }
    const base = { instanceId: id, instance: t.row.name, tenant: t.row.tenant };
    const item: QueuedProbe = { write };
    // One event when a streak of failures starts; the counts ride on the row and the later state-change events.
    if (!result.ok && verdict !== 'ignored' && run.consecutiveFailures === 1) {
      item.events = [{
        ...base, type: 'probe-failed', message: `${result.error} (${run.consecutiveFailures}/${t.spec.failureThreshold})`,
        data: { consecutiveFailures: run.consecutiveFailures, failureThreshold: t.spec.failureThreshold, statusCode: result.statusCode, latencyMs: result.latencyMs },
      }];
    }
    if (verdict === 'healthy') {
      write.transition = { to: 'running', from: STATUS.awaitingHealth };
      const downSince = t.downSince;
      this.mirror(id, 'running');
      t.downSince = undefined;
      item.onApplied = () => [this.healthyEvent(t, previous, downSince, now)];
    } else if (verdict === 'unhealthy') {
      write.transition = { to: 'unhealthy', from: ['running'] };
      this.mirror(id, 'unhealthy', now);
      item.onApplied = () => [{ ...base, type: 'unhealthy', message: `health check failed: ${result.error}`, data: { failureThreshold: t.spec.failureThreshold, consecutiveFailures: run.consecutiveFailures } }];
    }
    this.writer.add(item);
    // A first healthy answer is written now, not at the next periodic flush: a create or start
    // waiting for `running` sees it at once. Everything else keeps riding the batch (written
    // at once, the recovery of a crash-looping instance raced its restart's bookkeeping on Swarm).
    if (write.transition && !firstOnly && previous === 'starting') void this.writer.flush().catch(() => undefined);
    if (firstOnly) {
      // Judged (healthy), or past its start with no answer: the disabled monitor stops here.
      if (verdict === 'healthy' || verdict === 'restart') this.cancel(id);
      void this.writer.flush().catch(() => undefined);
      return;
    }
    if (verdict === 'restart') {
      if (this.o.runtimeStatus.state === 'down') {
        this.o.logger.debug({ instance: t.row.name }, 'health threshold reached while the engine is away; restart waits for it');
      } else {
        void this.restarts.request(id, containerId, 'unhealthy', { error: `${result.error} (${run.consecutiveFailures} consecutive failures)`, at: now });
      }
    }
  }

  private healthyEvent(t: Tracked, previous: InstanceStatus, downSince: number | undefined, now: number): AppendEvent {
    const base = { instanceId: t.row.id, instance: t.row.name, tenant: t.row.tenant };
    const back = downSince === undefined ? '' : ` ${Math.round((now - downSince) / 100) / 10}s after the failure was seen`;
    const data = { from: previous, ...(downSince === undefined ? {} : { recoveryMs: now - downSince }) };
    if (previous === 'crashloop') {
      const message = `recovered from a crash loop: healthy again${back}`;
      this.o.alerts.notify({
        event: 'recovered', status: 'running', message, data, at: new Date(now).toISOString(),
        instance: { id: t.row.id, name: t.row.name, tenant: t.row.tenant, plan: t.row.plan },
      });
      return { ...base, type: 'recovered', message, data };
    }
    if (previous === 'unhealthy') return { ...base, type: 'healthy', message: `health check passes again${back}`, data };
    return { ...base, type: 'running', message: `healthy: ${t.spec.path} answers${back}`, data };
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    const id = event.labels[LABELS.instance];
    if (!id) return;
    if (event.type === 'oom') {
      // Normally consumed by the `die` that follows; bounded in case one never comes.
      if (this.oomSeen.size > 10_000) this.oomSeen.clear();
      this.oomSeen.add(event.containerId);
    } else if (event.type === 'die') {
      void this.onDie(id, event).catch((error: unknown) => this.o.logger.warn({ instance: id, reason: describeError(error) }, 'could not handle a container exit'));
    } else if (event.type === 'start') {
      // Started by anyone (our restart, an operator, the API): a new run with its own start period.
      const t = this.tracked.get(id);
      if (t && t.row.containerId === event.containerId && !this.restarts.isPending(id) && event.at > t.probe.startedAt) this.freshRun(id, event.containerId, event.at);
    }
  }

  private async onDie(id: string, event: RuntimeEvent): Promise<void> {
    const oom = this.oomSeen.delete(event.containerId);
    if (this.o.leading && !this.o.leading()) return;
    if (this.restarts.isPending(id) || this.restarts.causedByUs(event.containerId, event.at)) return;
    const info = await this.o.runtime.inspectContainer(event.containerId).catch(() => undefined);
    // Running again already (restarted by someone): this exit is history.
    if (info?.state === 'running') return;
    const oomKilled = oom || info?.oomKilled === true;
    const exitCode = info?.exitCode ?? event.exitCode;
    await this.restarts.request(id, event.containerId, oomKilled ? 'oom' : 'exit', { exitCode, oomKilled, at: event.at || this.o.clock.now() });
  }
}
