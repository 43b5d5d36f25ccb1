/** Exponential backoff with full jitter: base·2^attempt, capped, scaled by a random factor. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** 0 = no jitter; 0.2 = ±20 %. */
  jitter: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const raw = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
  const spread = raw * options.jitter;
  return Math.max(0, Math.round(raw - spread + random() * 2 * spread));
}
