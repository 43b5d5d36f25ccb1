/**
 * Token guessing, limited per client address: after `maxFailures` requests with a token that
 * does not authenticate (unknown, revoked, expired) within `windowMs`, the address is blocked
 * for `windowMs`: its invalid tokens get 429 with Retry-After instead of 401. Valid tokens are
 * looked up and pass as always, whatever the address (an operator behind the same NAT as a
 * guesser is not locked out). State is in memory, bounded, per process.
 */
export interface AuthFailureGuardOptions {
  maxFailures: number;
  windowMs: number;
  now: () => number;
  /** Addresses tracked at once (the oldest are dropped beyond it). */
  maxAddresses?: number;
}

interface Tally {
  failures: number;
  since: number;
  blockedUntil: number;
}

export class AuthFailureGuard {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly o: AuthFailureGuardOptions) {}

  /** Milliseconds until the address may guess again; 0 when it is not blocked. */
  blockedFor(address: string): number {
    const t = this.tallies.get(address);
    if (!t) return 0;
    return Math.max(0, t.blockedUntil - this.o.now());
  }

  /** Counts a failed token; returns how long the address is now blocked (0: not blocked). */
  failed(address: string): number {
    const now = this.o.now();
    let t = this.tallies.get(address);
    if (!t || (now - t.since >= this.o.windowMs && t.blockedUntil <= now)) t = { failures: 0, since: now, blockedUntil: 0 };
    t.failures += 1;
    if (t.failures >= this.o.maxFailures && t.blockedUntil <= now) t.blockedUntil = now + this.o.windowMs;
    this.tallies.delete(address);
    this.tallies.set(address, t);
    if (this.tallies.size > (this.o.maxAddresses ?? 10_000)) this.tallies.delete(this.tallies.keys().next().value!);
    return this.blockedFor(address);
  }
}
