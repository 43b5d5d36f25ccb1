import type { Clock, TimerHandle } from '../../common/clock.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { EventLog } from '../events/event-log.js';
import type { InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { HealthSpec } from './instance-types.js';

export interface FirstHealthOptions {
  repo: InstancesRepo;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  /** Where published ports answer (runtime.bindAddress, or 127.0.0.1 for 0.0.0.0). */
  probeHost: string;
  pollMs?: number;
  /** Added to the health start period before giving up on the first healthy answer. */
  graceSeconds?: number;
  /** Re-read the row every this many polls, to notice someone else moving it. */
  recheckEvery?: number;
}

/**
 * After a container starts the instance is `starting`; this polls its health path through
 * the published port until it first answers 2xx, then moves it to `running` (only if it is
 * still `starting`). From then on the monitor owns its health. No answer within the start
 * period plus a grace → `unhealthy`, which hands it to the monitor's failure policy.
 */
export class FirstHealthWatcher {
  private readonly active = new Map<string, AbortController>();
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly recheckEvery: number;

  constructor(private readonly o: FirstHealthOptions) {
    this.pollMs = o.pollMs ?? 250;
    this.graceMs = (o.graceSeconds ?? 60) * 1000;
    this.recheckEvery = o.recheckEvery ?? 8;
  }

  isWatching(id: string): boolean {
    return this.active.has(id);
  }

  /** Starts watching (no-op when already watching). */
  watch(id: string): void {
    if (this.active.has(id)) return;
    const controller = new AbortController();
    this.active.set(id, controller);
    void this.run(id, controller.signal)
      .catch((error: unknown) => this.o.logger.warn({ instance: id, reason: describeError(error) }, 'first health wait failed'))
      .finally(() => {
        if (this.active.get(id) === controller) this.active.delete(id);
      });
  }

  cancel(id: string): void {
    this.active.get(id)?.abort();
    this.active.delete(id);
  }

  stopAll(): void {
    for (const controller of this.active.values()) controller.abort();
    this.active.clear();
  }

  private async run(id: string, signal: AbortSignal): Promise<void> {
    let row = await this.o.repo.get(id);
    if (!row || row.status !== 'starting' || !row.host_port) return;
    const health = JSON.parse(row.health) as HealthSpec;
    const startedAt = this.o.clock.now();
    const deadline = startedAt + health.startPeriodSeconds * 1000 + this.graceMs;
    for (let poll = 1; !signal.aborted; poll++) {
      const check = await this.probe(`http://${this.o.probeHost}:${row.host_port}${health.path}`, health.timeoutSeconds * 1000, signal);
      if (signal.aborted) return;
      if (check.ok) {
        const at = new Date(this.o.clock.now()).toISOString();
        const moved = await this.o.repo.transition(id, 'starting', 'running', {
          last_error: null, last_check_at: at, last_check_ok: 1, last_check_latency_ms: check.latencyMs,
        });
        if (moved) {
          this.o.events.record({
            instanceId: id, instance: row.name, tenant: row.tenant, type: 'running',
            message: `healthy: ${health.path} answered ${check.status} after ${Math.round((this.o.clock.now() - startedAt) / 100) / 10}s`,
            data: { latencyMs: check.latencyMs },
          });
        }
        return;
      }
      if (this.o.clock.now() >= deadline) {
        const seconds = Math.round((deadline - startedAt) / 1000);
        const reason = `no healthy answer from ${health.path} within ${seconds}s of start (last: ${check.error})`;
        if (await this.o.repo.transition(id, 'starting', 'unhealthy', { last_error: reason })) {
          this.o.events.record({ instanceId: id, instance: row.name, tenant: row.tenant, type: 'start-timeout', message: reason });
        }
        return;
      }
      if (poll % this.recheckEvery === 0) {
        row = await this.o.repo.get(id);
        if (!row || row.status !== 'starting' || !row.host_port) return;
      }
      await this.sleep(this.pollMs, signal);
    }
  }

  private async probe(url: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; status?: number; latencyMs: number; error?: string }> {
    const started = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: 'manual' });
      await res.body?.cancel();
      const latencyMs = Math.round(performance.now() - started);
      return res.status >= 200 && res.status < 300 ? { ok: true, status: res.status, latencyMs } : { ok: false, latencyMs, error: `HTTP ${res.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: cause ?? describeError(error) };
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined = undefined;
      const done = (): void => {
        if (timer) this.o.clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      timer = this.o.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
