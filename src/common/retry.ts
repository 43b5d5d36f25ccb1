/** Exponential backoff with jitter, the one implementation (restarts, reconcile retries, alert deliveries). */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /**
   * The share of the delay taken off at random: 0 = none, 0.5 = between half and all of it,
   * 1 = full jitter. Jitter only shortens, so the cap stays a real ceiling.
   */
  jitter: number;
}

/** base·2^attempt (attempt counts from 0), capped, less up to `jitter` of it at random. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const raw = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(0, attempt), 40));
  return Math.round(raw * (1 - options.jitter * random()));
}
