import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isBerthError } from '../common/errors.js';
import { INSTANCE_STATUSES } from '../common/instance-status.js';


/**
 * The monitor's Prometheus metrics, in the daemon's registry. Also the hooks other parts call:
 * the reconciler's duration and runtime API errors (via instrumentRuntime).
 */
export class MonitorMetrics {
  readonly probeDuration: Histogram<'result'>;
  readonly probeFailures: Counter<'reason'>;
  readonly probesInFlight: Gauge;
  /** How late due probes started (waiting for a slot), per tenant: shows one tenant cannot starve another. */
  readonly probeWait: Histogram<'tenant'>;
  readonly restarts: Counter<'reason'>;
  readonly restartFailures: Counter<'code'>;
  readonly restartsInFlight: Gauge;
  readonly restartsInFlightMax: Gauge;
  readonly reconcileDuration: Histogram<'outcome'>;
  readonly reconcilePasses: Counter<'outcome'>;
  readonly runtimeErrors: Counter<'operation' | 'code'>;
  readonly alerts: Counter<'event' | 'result'>;
  readonly eventStreamUp: Gauge;

  constructor(registry: Registry, countByStatus: () => Promise<Array<{ status: string; count: number }>>) {
    const registers = [registry];
    new Gauge({
      name: 'berth_instances',
      help: 'Instances by status, as stored',
      labelNames: ['status'],
      registers,
      async collect() {
        try {
          const rows = await countByStatus();
          this.reset();
          // Every status, so each series exists (at 0) from the first scrape.
          for (const status of INSTANCE_STATUSES) this.set({ status }, 0);
          for (const row of rows) this.set({ status: row.status }, row.count);
        } catch {
          // The store is away: keep the last values; /health reports the store.
        }
      },
    });
    this.probeDuration = new Histogram({
      name: 'berth_probe_duration_seconds',
      help: 'Health probe duration by result',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.probeFailures = new Counter({ name: 'berth_probe_failures_total', help: 'Failed health probes by reason', labelNames: ['reason'], registers });
    this.probeWait = new Histogram({
      name: 'berth_probe_wait_seconds', help: 'How long due health probes waited for a probe slot, by tenant', labelNames: ['tenant'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers,
    });
    this.probesInFlight = new Gauge({ name: 'berth_probes_in_flight', help: 'Health probes running now', registers });
    this.restarts = new Counter({ name: 'berth_restarts_total', help: 'Container restarts, by reason: requested (API, job, exit policy) or the monitor\'s exit, oom, unhealthy, restart-failed', labelNames: ['reason'], registers });
    this.restartFailures = new Counter({ name: 'berth_restart_failures_total', help: 'Restarts the runtime refused, by error code', labelNames: ['code'], registers });
    this.restartsInFlight = new Gauge({ name: 'berth_restarts_in_flight', help: 'Restarts running now (capped by monitor.restartConcurrency)', registers });
    this.restartsInFlightMax = new Gauge({ name: 'berth_restarts_in_flight_max', help: 'Most restarts ever running at once since the daemon started', registers });
    this.reconcileDuration = new Histogram({
      name: 'berth_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcilePasses = new Counter({ name: 'berth_reconcile_passes_total', help: 'Reconcile passes by outcome (skipped: the engine was away, nothing touched)', labelNames: ['outcome'], registers });
    this.runtimeErrors = new Counter({ name: 'berth_runtime_api_errors_total', help: 'Failed container runtime API calls by operation and error code', labelNames: ['operation', 'code'], registers });
    this.alerts = new Counter({ name: 'berth_alerts_total', help: 'Alert webhook deliveries by event and result', labelNames: ['event', 'result'], registers });
    this.eventStreamUp = new Gauge({ name: 'berth_runtime_event_stream_up', help: '1 while the runtime event stream is connected', registers });
  }

  /** For the reconciler: records one pass (a skipped one is counted, not timed). */
  observeReconcile(seconds: number, outcome: 'ok' | 'error' | 'skipped' = 'ok'): void {
    this.reconcilePasses.inc({ outcome });
    if (outcome !== 'skipped') this.reconcileDuration.observe({ outcome }, seconds);
  }

  runtimeError(operation: string, error: unknown): void {
    this.runtimeErrors.inc({ operation, code: isBerthError(error) ? error.code : 'UNKNOWN' });
  }
}
