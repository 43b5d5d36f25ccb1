import type { Clock, TimerHandle } from '../common/clock.js';
import { BerthError, describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeDriver, RuntimeInfo } from './runtime-driver.js';

export type RuntimeState = 'unknown' | 'up' | 'down';

/**
 * Tracks whether the engine answers. berth boots without one (degraded), keeps pinging in
 * the background, and tells listeners when it comes back so they can catch up.
 */
export class RuntimeStatus {
  state: RuntimeState = 'unknown';
  info: RuntimeInfo | undefined;
  lastError: string | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private recheck: Promise<RuntimeState> | undefined;
  private readonly upListeners: Array<() => void> = [];

  constructor(
    private readonly driver: RuntimeDriver,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly retryMs: number,
    private readonly healthyPollMs = 15_000,
  ) {}

  /** One ping now; resolves with the state. Never throws. */
  async check(): Promise<RuntimeState> {
    try {
      this.info = await this.driver.ping();
      this.markUp();
    } catch (error) {
      this.markDown(error);
    }
    return this.state;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }

  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  /**
   * Callers report a RUNTIME_UNAVAILABLE failure seen elsewhere. One reset connection is not an
   * outage: the engine is pinged at once and only marked down if the ping fails too.
   */
  report(error: unknown): void {
    if (!(error instanceof BerthError) || error.code !== 'RUNTIME_UNAVAILABLE') return;
    if (this.state !== 'up') {
      this.markDown(error);
      return;
    }
    this.recheck ??= this.check().finally(() => {
      this.recheck = undefined;
    });
  }

  /** Throws the 503 that runtime routes answer while the engine is away. */
  require(): void {
    if (this.state === 'down') {
      throw new BerthError('RUNTIME_UNAVAILABLE', `the container runtime is unavailable: ${this.lastError ?? 'no engine answers'}; berth keeps retrying`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.state === 'up' ? this.healthyPollMs : this.retryMs;
    this.timer = this.clock.setTimeout(() => void this.check().finally(() => this.schedule()), delay);
    this.timer.unref?.();
  }

  private markUp(): void {
    const was = this.state;
    this.state = 'up';
    this.lastError = undefined;
    if (was !== 'up') {
      this.logger.info({ engine: this.info }, was === 'down' ? 'runtime is back' : 'runtime connected');
      for (const listener of this.upListeners) listener();
    }
  }

  private markDown(error: unknown): void {
    const was = this.state;
    this.state = 'down';
    this.lastError = describeError(error);
    if (was !== 'down') {
      this.logger.warn({ reason: this.lastError }, 'runtime unavailable; running degraded and retrying');
      if (!this.stopped && was === 'up') {
        if (this.timer) this.clock.clearTimeout(this.timer);
        this.schedule();
      }
    }
  }
}
