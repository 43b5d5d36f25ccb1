import type { Clock, TimerHandle } from '../common/clock.js';
import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { LeaseState } from '../store/repositories/leases-repo.js';
import type { LeaderTerm, Leadership, LeadershipEvents, LeadershipStatus } from './leadership.js';

/** The store's leases, as the elector needs them (LeasesRepo on Postgres). */
export interface LeaseStore {
  acquireOrRenew(name: string, holder: string, nonce: string, leaseMs: number): Promise<LeaseState | undefined>;
  get(name: string): Promise<LeaseState | undefined>;
  release(name: string, nonce: string): Promise<void>;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  /** The lease's name: one leader per scope. */
  lease: string;
  processId: string;
  /** Unique per process start. */
  nonce: string;
  leaseMs: number;
  /** A follower asks this often whether the lease is free (the takeover bound is leaseMs + this). */
  pollMs: number;
  clock: Clock;
  logger: Logger;
  events: LeadershipEvents;
}

/**
 * Leader election over a leases row. The leader renews every third of the lease; it counts
 * itself leader only until the lease would run out by its own clock measured from when it
 * asked (earlier than the database's expiry), so a process paused past its lease stops
 * acting the moment it runs again, before it has even reached the store. Followers poll;
 * an expired lease is taken with a new fencing token, which the old leader's writes then fail.
 */
export class LeaderElector implements Leadership {
  private current: LeaderTerm | undefined;
  /** Local time (ms) until which this process may act as leader. */
  private deadline = 0;
  private seen: LeaseState | undefined;
  private seenAt = 0;
  private timer: TimerHandle | undefined;
  private stopped = true;
  private ticking: Promise<void> | undefined;
  /** Gained/lost run in order, outside the renew loop (a long boot reconcile never delays a renewal). */
  private transitions: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderElectorOptions) {}

  isLeader(): boolean {
    return this.current !== undefined && this.o.clock.now() < this.deadline;
  }

  term(): LeaderTerm | undefined {
    return this.isLeader() ? this.current : undefined;
  }

  status(): LeadershipStatus {
    const seen = this.seen && this.seen.expiresAt > this.seen.dbNow ? this.seen : undefined;
    const age = seen ? (seen.dbNow - seen.acquiredAt + (this.o.clock.now() - this.seenAt)) / 1000 : null;
    return {
      role: this.isLeader() ? 'leader' : 'follower', processId: this.o.processId, leader: seen?.holder ?? null,
      leaseAgeSeconds: age === null ? null : Math.round(age * 10) / 10, term: seen?.token ?? null, mode: 'lease',
    };
  }

  /** First attempt inline (a free lease is taken before the daemon serves), then the loop. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    await this.transitions;
    this.schedule();
  }

  /** Stops the loops, then gives the lease up so a peer takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.ticking?.catch(() => undefined);
    const held = this.current;
    if (held) this.lose('this process is stopping');
    await this.transitions;
    if (held) await this.o.store.release(this.o.lease, this.o.nonce).catch((error: unknown) => this.o.logger.warn({ reason: describeError(error) }, 'could not release the leader lease; it expires by itself'));
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.current ? Math.max(100, Math.floor(this.o.leaseMs / 3)) : this.o.pollMs;
    // While leading, also wake at the deadline: a store that hangs must not keep the loops running.
    const wake = this.current ? Math.min(delay, Math.max(0, this.deadline - this.o.clock.now())) : delay;
    this.timer = this.o.clock.setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, wake);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.current && this.o.clock.now() >= this.deadline) this.lose('the lease ran out before it was renewed');
    const askedAt = this.o.clock.now();
    let lease: LeaseState | undefined;
    try {
      lease = await this.o.store.acquireOrRenew(this.o.lease, this.o.processId, this.o.nonce, this.o.leaseMs);
      if (!lease) lease = await this.o.store.get(this.o.lease);
    } catch (error) {
      this.o.logger.warn({ reason: describeError(error), leading: this.isLeader() }, 'could not reach the store for the leader lease');
      if (this.current && !this.isLeader()) this.lose('the store did not answer before the lease ran out');
      return;
    }
    if (this.stopped) return;
    const previous = this.seen?.holder ?? null;
    this.seen = lease;
    this.seenAt = this.o.clock.now();
    if (lease && lease.holderNonce === this.o.nonce && this.o.clock.now() < askedAt + this.o.leaseMs) {
      this.deadline = askedAt + this.o.leaseMs;
      if (this.current?.token !== lease.token) {
        if (this.current) this.lose('the lease changed hands');
        this.gain({ token: lease.token, lease: this.o.lease }, previous === this.o.processId ? null : previous);
      }
      return;
    }
    if (this.current) this.lose(lease ? `${lease.holder} holds the lease now` : 'the lease is gone');
  }

  private gain(term: LeaderTerm, previousLeader: string | null): void {
    this.current = term;
    this.o.logger.info({ term: term.token, previousLeader }, 'this berth is the leader now: starting the reconciler and monitor');
    this.transitions = this.transitions.then(() => this.o.events.onGained(term, previousLeader))
      .catch((error: unknown) => this.o.logger.error({ reason: describeError(error) }, 'starting the leader loops failed'));
  }

  private lose(reason: string): void {
    const term = this.current;
    if (!term) return;
    this.current = undefined;
    this.deadline = 0;
    this.o.logger.warn({ term: term.token, reason }, 'this berth is no longer the leader: stopping the reconciler and monitor');
    this.transitions = this.transitions.then(() => this.o.events.onLost(reason))
      .catch((error: unknown) => this.o.logger.error({ reason: describeError(error) }, 'stopping the leader loops failed'));
  }
}
