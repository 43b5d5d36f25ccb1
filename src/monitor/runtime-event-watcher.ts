import { sleep, type Clock } from '../common/clock.js';
import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { scopeFilter } from '../runtime/labels.js';
import type { RuntimeDriver, RuntimeEvent } from '../runtime/runtime-driver.js';
import { ReplayFilter } from './replay-filter.js';
import { restartDelay, type RestartPolicyMs } from './restart-policy.js';

const REPLAY_LOG_EVERY_MS = 10_000;

export interface RuntimeEventWatcherOptions {
  runtime: RuntimeDriver;
  scope: string;
  clock: Clock;
  logger: Logger;
  onEvent: (event: RuntimeEvent) => void;
  /** Connected (again): what happened while the stream was down must be caught up. */
  onConnected: (reconnect: boolean) => void;
  onDisconnected: (reason: string) => void;
  /** The engine's failures are reported here too (it flips the runtime status at once). */
  report: (error: unknown) => void;
  retry?: { baseMs: number; capMs: number };
}

/**
 * Follows the engine's event stream for this scope's containers. When the stream ends (engine
 * restart, socket gone) it reconnects with backoff and says so, so the caller can reconcile
 * what it missed rather than trust the stream to be complete.
 */
export class RuntimeEventWatcher {
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  connected = false;
  lastError: string | undefined;

  constructor(private readonly o: RuntimeEventWatcherOptions) {}

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const retry = this.o.retry ?? { baseMs: 250, capMs: 5000 };
    const backoff: RestartPolicyMs = { baseMs: retry.baseMs, capMs: retry.capMs, jitter: 0.5, resetAfterMs: 0, windowMs: 0, crashloopRestarts: 1, failAfterRestarts: 1 };
    let failures = 0;
    let everConnected = false;
    while (!signal.aborted) {
      try {
        // Ping first: events() connects lazily, and a dead engine should fail fast here.
        await this.o.runtime.ping();
        const stream = this.o.runtime.events(scopeFilter(this.o.scope), signal);
        this.connected = true;
        this.lastError = undefined;
        failures = 0;
        this.o.onConnected(everConnected);
        everConnected = true;
        const replays = new ReplayFilter();
        let loggedAt = -Infinity;
        for await (const event of stream) {
          if (replays.isReplay(event)) continue;
          // A replay interleaves with events this process never saw: one line per burst, not per event.
          if (replays.skipped && this.o.clock.now() - loggedAt >= REPLAY_LOG_EVERY_MS) {
            loggedAt = this.o.clock.now();
            this.o.logger.info({ events: replays.takeSkipped() }, 'ignored events the engine sent again');
          }
          this.o.onEvent(event);
        }
        if (!signal.aborted) throw new Error('the engine closed the event stream');
      } catch (error) {
        if (signal.aborted) break;
        this.o.report(error);
        this.lastError = describeError(error);
      }
      if (this.connected) {
        this.connected = false;
        this.o.logger.warn({ reason: this.lastError }, 'runtime event stream lost; reconnecting');
        this.o.onDisconnected(this.lastError ?? 'stream ended');
      }
      await sleep(restartDelay(backoff, failures++), signal);
    }
    this.connected = false;
  }
}
