import type { Clock, TimerHandle } from '../common/clock.js';
import { describeError } from '../common/errors.js';
import { backoffDelay } from '../common/retry.js';
import type { Logger } from '../common/logger.js';

/** What an operator's webhook receives (POST, application/json). */
export interface Alert {
  /** crashloop | failed | recovered (and any other monitor event a webhook asks for). */
  event: string;
  at: string;
  instance: { id: string; name: string; tenant: string; plan: string };
  status: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface WebhookTarget {
  url: string;
  /** Event names, or `*` for all. */
  events: string[];
}

/** Sends one request; resolves with the HTTP status, rejects on a network failure or timeout. */
export type AlertSender = (url: string, body: string, signal: AbortSignal) => Promise<number>;

export type DeliveryResult = 'delivered' | 'retried' | 'failed' | 'dropped';

export interface AlertDispatcherOptions {
  webhooks: readonly WebhookTarget[];
  clock: Clock;
  logger: Logger;
  send?: AlertSender;
  /** Deliveries waiting or backing off; past it the oldest waiting one is dropped. */
  maxQueue?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  random?: () => number;
  onResult?: (event: string, result: DeliveryResult) => void;
}

interface Delivery {
  url: string;
  event: string;
  body: string;
  attempt: number;
}

/** The real sender: fetch with a timeout; the response body is discarded. */
export const fetchSender: AlertSender = async (url, body, signal) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'berth-alerts' }, body, signal, redirect: 'manual' });
  await response.body?.cancel().catch(() => undefined);
  return response.status;
};

const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Posts alerts to the configured webhooks without ever blocking the caller: `notify` only
 * queues. Failed deliveries are retried with jittered exponential backoff; the queue is
 * bounded so a dead endpoint cannot grow memory without limit.
 */
export class AlertDispatcher {
  private readonly queue: Delivery[] = [];
  private readonly backingOff = new Map<TimerHandle, Delivery>();
  private readonly inFlight = new Map<Promise<void>, AbortController>();
  private readonly send: AlertSender;
  private readonly maxQueue: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly options: AlertDispatcherOptions) {
    this.send = options.send ?? fetchSender;
    this.maxQueue = options.maxQueue ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.concurrency = options.concurrency ?? 2;
    this.random = options.random ?? Math.random;
  }

  /** Deliveries not yet done (waiting, backing off or in flight). */
  get pending(): number {
    return this.queue.length + this.backingOff.size + this.inFlight.size;
  }

  notify(alert: Alert): void {
    if (this.stopped) return;
    const hooks = this.options.webhooks.filter((hook) => hook.events.includes(alert.event) || hook.events.includes('*'));
    if (!hooks.length) return;
    const body = JSON.stringify({ ...alert, source: 'berth' });
    for (const hook of hooks) {
      if (this.queue.length + this.backingOff.size >= this.maxQueue) this.dropOldest();
      this.queue.push({ url: hook.url, event: alert.event, body, attempt: 0 });
    }
    this.pump();
  }

  /** Stops retrying and aborts deliveries in flight; what is still queued is dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.backingOff.keys()) this.options.clock.clearTimeout(timer);
    this.backingOff.clear();
    this.queue.length = 0;
    for (const controller of this.inFlight.values()) controller.abort();
    await Promise.allSettled([...this.inFlight.keys()]);
  }

  private dropOldest(): void {
    const dropped = this.queue.shift();
    if (!dropped) return;
    this.options.logger.warn({ url: originOf(dropped.url), event: dropped.event }, 'alert queue full; dropping the oldest alert');
    this.options.onResult?.(dropped.event, 'dropped');
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.concurrency && this.queue.length) {
      const delivery = this.queue.shift()!;
      const controller = new AbortController();
      const run = this.deliver(delivery, controller).finally(() => {
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.set(run, controller);
    }
  }

  private async deliver(delivery: Delivery, controller: AbortController): Promise<void> {
    delivery.attempt++;
    const timer = this.options.clock.setTimeout(() => controller.abort(), this.timeoutMs);
    let outcome: string;
    let again: boolean;
    try {
      const status = await this.send(delivery.url, delivery.body, controller.signal);
      if (status >= 200 && status < 300) {
        this.options.onResult?.(delivery.event, 'delivered');
        return;
      }
      outcome = `HTTP ${status}`;
      again = retryable(status);
    } catch (error) {
      outcome = controller.signal.aborted ? `no answer within ${this.timeoutMs} ms` : describeError(error);
      again = true;
    } finally {
      this.options.clock.clearTimeout(timer);
    }
    if (this.stopped) return;
    if (!again || delivery.attempt >= this.maxAttempts) {
      this.options.logger.warn({ url: originOf(delivery.url), event: delivery.event, attempts: delivery.attempt, outcome }, 'alert webhook delivery failed; giving up');
      this.options.onResult?.(delivery.event, 'failed');
      return;
    }
    // Between half and all of the doubled delay ("equal jitter").
    const delay = backoffDelay(delivery.attempt - 1, { baseMs: this.baseDelayMs, capMs: this.maxDelayMs, jitter: 0.5 }, () => 1 - this.random());
    this.options.logger.debug({ url: originOf(delivery.url), event: delivery.event, attempt: delivery.attempt, outcome, retryInMs: delay }, 'alert webhook delivery failed; retrying');
    this.options.onResult?.(delivery.event, 'retried');
    const handle = this.options.clock.setTimeout(() => {
      this.backingOff.delete(handle);
      if (this.stopped) return;
      this.queue.push(delivery);
      this.pump();
    }, delay);
    handle.unref?.();
    this.backingOff.set(handle, delivery);
  }
}

/** Webhook URLs often carry a secret in their path or query: logs name the origin only. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}
