import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { isBerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { InstanceLocks, type InstanceLockStore } from './instance-locks.js';
import { KeyedLock } from './keyed-lock.js';

/** The instance_locks table's semantics on the test clock. */
class FakeLockStore implements InstanceLockStore {
  readonly rows = new Map<string, { holder: string; owner: string; expiresAt: number }>();
  constructor(private readonly clock: ManualClock) {}
  async tryAcquire(id: string, holder: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = this.rows.get(id);
    if (r && r.expiresAt >= this.clock.now()) return false;
    this.rows.set(id, { holder, owner, expiresAt: this.clock.now() + ttlMs });
    return true;
  }
  async renew(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = this.rows.get(id);
    if (r?.owner !== owner) return false;
    r.expiresAt = this.clock.now() + ttlMs;
    return true;
  }
  async release(id: string, owner: string): Promise<void> {
    if (this.rows.get(id)?.owner === owner) this.rows.delete(id);
  }
  async holderOf(id: string): Promise<string | undefined> {
    const r = this.rows.get(id);
    return r && r.expiresAt >= this.clock.now() ? r.holder : undefined;
  }
}

const logger = createLogger('silent');
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function locks(store: FakeLockStore, clock: ManualClock, holder: string): InstanceLocks {
  return new InstanceLocks({ local: new KeyedLock(), store, holder, ttlMs: 30_000, waitMs: 2000, clock, logger, retryMs: 200 });
}

describe('InstanceLocks across processes', () => {
  it('a second process waits for the lock, then gets INSTANCE_BUSY naming the holder', async () => {
    const clock = new ManualClock();
    const store = new FakeLockStore(clock);
    const a = locks(store, clock, 'berth-a');
    const b = locks(store, clock, 'berth-b');
    let release!: () => void;
    const holding = a.withInstanceLock('ins_1', () => new Promise<string>((r) => (release = () => r('a done'))));
    await flush();
    const waiting = b.run('ins_1', async () => 'b ran').catch((error: unknown) => error);
    for (let t = 0; t < 2200; t += 200) {
      clock.advance(200);
      await flush();
    }
    const error = await waiting;
    expect(isBerthError(error) && error.code).toBe('INSTANCE_BUSY');
    expect((error as Error).message).toContain('berth-a');
    release();
    expect(await holding).toBe('a done');
    expect(store.rows.size).toBe(0);
    expect(await b.run('ins_1', async () => 'b ran')).toBe('b ran');
  });

  it('a waiter gets the lock as soon as the holder releases it', async () => {
    const clock = new ManualClock();
    const store = new FakeLockStore(clock);
    const a = locks(store, clock, 'berth-a');
    const b = locks(store, clock, 'berth-b');
    let release!: () => void;
    const holding = a.run('ins_1', () => new Promise<void>((r) => (release = r)));
    await flush();
    const waiting = b.run('ins_1', async () => 'b ran');
    clock.advance(400);
    await flush();
    release();
    await holding;
    clock.advance(200);
    await flush();
    expect(await waiting).toBe('b ran');
  });

  it('tryRun never waits: busy in another process is INSTANCE_BUSY at once; different instances do not block', async () => {
    const clock = new ManualClock();
    const store = new FakeLockStore(clock);
    const a = locks(store, clock, 'berth-a');
    const b = locks(store, clock, 'berth-b');
    let release!: () => void;
    const holding = a.run('ins_1', () => new Promise<void>((r) => (release = r)));
    await flush();
    await expect(b.tryRun('ins_1', async () => 'ran')).rejects.toMatchObject({ code: 'INSTANCE_BUSY' });
    expect(await b.tryRun('ins_2', async () => 'other ran')).toBe('other ran');
    // In the same process, a held lock answers undefined (the holder is on it).
    expect(a.tryRun('ins_1', async () => 'ran')).toBeUndefined();
    release();
    await holding;
  });

  it('a dead holder\'s lock frees itself after its TTL; a live holder keeps renewing it', async () => {
    const clock = new ManualClock();
    const store = new FakeLockStore(clock);
    store.rows.set('ins_1', { holder: 'dead', owner: 'dead#1', expiresAt: clock.now() + 30_000 });
    const b = locks(store, clock, 'berth-b');
    await expect(b.tryRun('ins_1', async () => 'ran')).rejects.toMatchObject({ code: 'INSTANCE_BUSY' });
    clock.advance(30_001);
    let release!: () => void;
    const holding = b.run('ins_1', () => new Promise<void>((r) => (release = r)));
    await flush();
    for (let t = 0; t < 90_000; t += 5000) {
      clock.advance(5000);
      await flush();
    }
    // Held for three TTLs: still b's.
    expect(await store.holderOf('ins_1')).toBe('berth-b');
    release();
    await holding;
    expect(store.rows.size).toBe(0);
  });
});
