import { BerthError } from '../common/errors.js';

export interface StreamLimits {
  /** Followed streams one token may hold open at once. */
  perToken: number;
  /** Followed streams open at once, over all tokens. */
  total: number;
  /** A followed stream is ended after this long; the client reconnects if it still wants more. */
  maxSeconds: number;
}

/**
 * Caps on long-lived (followed) log and event streams: per token and in total, each with a
 * maximum duration, so no token can pin the daemon's connections or engine log streams.
 */
export class StreamSlots {
  private readonly byToken = new Map<string, number>();
  private open = 0;

  constructor(readonly limits: StreamLimits) {}

  get active(): number {
    return this.open;
  }

  /**
   * Takes a slot or throws RATE_LIMITED. Returns the release function (idempotent) and a signal
   * that aborts when the stream reaches its maximum duration.
   */
  acquire(token: string): { release: () => void; expired: AbortSignal } {
    const held = this.byToken.get(token) ?? 0;
    if (held >= this.limits.perToken) {
      throw new BerthError('RATE_LIMITED', `this token already has ${held} followed streams open (at most ${this.limits.perToken}); close one first`, { details: { limit: 'perToken', limitValue: this.limits.perToken, usage: held } });
    }
    if (this.open >= this.limits.total) {
      throw new BerthError('RATE_LIMITED', `the daemon has ${this.open} followed streams open (at most ${this.limits.total}); try again later`, { details: { limit: 'total', limitValue: this.limits.total, usage: this.open } });
    }
    this.byToken.set(token, held + 1);
    this.open++;
    const expiry = new AbortController();
    const timer = setTimeout(() => expiry.abort(new Error('stream reached its maximum duration')), this.limits.maxSeconds * 1000);
    timer.unref();
    let released = false;
    return {
      expired: expiry.signal,
      release: () => {
        if (released) return;
        released = true;
        clearTimeout(timer);
        this.open--;
        const left = (this.byToken.get(token) ?? 1) - 1;
        if (left > 0) this.byToken.set(token, left);
        else this.byToken.delete(token);
      },
    };
  }
}
