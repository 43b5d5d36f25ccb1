import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import type { LeaseState } from '../store/repositories/leases-repo.js';
import { LeaderElector, type LeaseStore } from './leader-elector.js';
import type { LeaderTerm } from './leadership.js';

const logger = createLogger('silent');

/** The leases table's one-statement semantics, on the test's clock (the "database clock"). */
class FakeLeases implements LeaseStore {
  row: Omit<LeaseState, 'dbNow'> | undefined;
  /** Per holder: make its store calls fail (a partition) or hang (a paused process). */
  readonly broken = new Map<string, 'fail' | 'hang'>();

  constructor(private readonly clock: ManualClock) {}

  private gate(nonce: string): Promise<void> | undefined {
    const how = this.broken.get(nonce);
    if (how === 'fail') return Promise.reject(new Error('store unreachable'));
    if (how === 'hang') return new Promise(() => undefined);
    return undefined;
  }

  async acquireOrRenew(name: string, holder: string, nonce: string, leaseMs: number): Promise<LeaseState | undefined> {
    await this.gate(nonce);
    const now = this.clock.now();
    const r = this.row;
    if (!r) {
      this.row = { name, holder, holderNonce: nonce, token: 1, acquiredAt: now, renewedAt: now, expiresAt: now + leaseMs };
    } else if (r.holderNonce === nonce || r.expiresAt < now) {
      const same = r.holderNonce === nonce;
      this.row = { name, holder, holderNonce: nonce, token: same ? r.token : r.token + 1, acquiredAt: same ? r.acquiredAt : now, renewedAt: now, expiresAt: now + leaseMs };
    } else {
      return undefined;
    }
    return { ...this.row!, dbNow: now };
  }

  async get(): Promise<LeaseState | undefined> {
    return this.row ? { ...this.row, dbNow: this.clock.now() } : undefined;
  }

  async release(_name: string, nonce: string): Promise<void> {
    if (this.row?.holderNonce === nonce) this.row = { ...this.row, expiresAt: 0 };
  }
}

interface Probe {
  elector: LeaderElector;
  log: string[];
}

function elector(store: FakeLeases, clock: ManualClock, processId: string): Probe {
  const log: string[] = [];
  const e = new LeaderElector({
    store, lease: 'leader:default', processId, nonce: processId, leaseMs: 6000, pollMs: 1000, clock, logger,
    events: {
      onGained: async (term: LeaderTerm | undefined, previous: string | null) => void log.push(`gained ${term?.token} from ${previous}`),
      onLost: async (reason: string) => void log.push(`lost: ${reason}`),
    },
  });
  return { elector: e, log };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Moves the clock in 100 ms steps, letting the electors' store calls settle between steps. */
async function step(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    for (let i = 0; i < 5; i++) await flush();
  }
}

describe('LeaderElector', () => {
  it('one of two leads; the other follows and sees who leads', async () => {
    const clock = new ManualClock();
    const store = new FakeLeases(clock);
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    await a.elector.start();
    await b.elector.start();
    await step(clock, 20_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(a.log).toEqual(['gained 1 from null']);
    expect(b.log).toEqual([]);
    expect(b.elector.status()).toMatchObject({ role: 'follower', leader: 'a', term: 1, mode: 'lease' });
    expect(a.elector.status()).toMatchObject({ role: 'leader', leader: 'a', term: 1 });
    expect(a.elector.status().leaseAgeSeconds).toBeGreaterThanOrEqual(19);
    expect(a.elector.term()).toEqual({ token: 1, lease: 'leader:default' });
    expect(b.elector.term()).toBeUndefined();
  });

  it('a leader cut off from the store stops at its own deadline; a follower takes over after expiry with a new token', async () => {
    const clock = new ManualClock();
    const store = new FakeLeases(clock);
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    await a.elector.start();
    await b.elector.start();
    await step(clock, 3000);
    const cutAt = clock.now();
    store.broken.set('a', 'fail');
    await step(clock, 6000);
    // The lease was last renewed at most 2 s before the cut: a stops within the lease of that renewal.
    expect(a.elector.isLeader()).toBe(false);
    expect(a.log.at(-1)).toMatch(/^lost: /);
    // b takes the lease once it has expired, within a poll.
    await step(clock, 2000);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.log).toEqual(['gained 2 from a']);
    expect(store.row?.holder).toBe('b');
    expect(clock.now() - cutAt).toBeLessThanOrEqual(6000 + 1000 + 2000);
    // a comes back: it stays a follower (b holds an unexpired lease).
    store.broken.delete('a');
    await step(clock, 5000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.status()).toMatchObject({ role: 'follower', leader: 'b', term: 2 });
  });

  it('a paused leader (its store call never returns) is not leader past its deadline, before hearing anything', async () => {
    const clock = new ManualClock();
    const store = new FakeLeases(clock);
    const a = elector(store, clock, 'a');
    await a.elector.start();
    store.broken.set('a', 'hang');
    await step(clock, 2100);
    expect(a.elector.isLeader()).toBe(true);
    await step(clock, 6000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.term()).toBeUndefined();
  });

  it('stop gives the lease up so a follower takes over at its next poll, not after expiry', async () => {
    const clock = new ManualClock();
    const store = new FakeLeases(clock);
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    await a.elector.start();
    await b.elector.start();
    await step(clock, 1000);
    await a.elector.stop();
    expect(a.log).toEqual(['gained 1 from null', 'lost: this process is stopping']);
    await step(clock, 1100);
    expect(b.elector.isLeader()).toBe(true);
  });
});
