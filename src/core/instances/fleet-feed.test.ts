import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { FleetFeed, type FleetMessage } from './fleet-feed.js';
import type { Instance } from './instance-types.js';

const inst = (id: string, tenant: string, restarts = 0): Instance => ({ id, name: id, tenant, restarts } as unknown as Instance);
/** Lets the feed's awaited read settle. */
const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

function setup(initial: Instance[]) {
  const clock = new ManualClock();
  let fleet = initial;
  let failNext = false;
  const errors: unknown[] = [];
  const feed = new FleetFeed({
    clock, intervalMs: 1000, onError: (e) => errors.push(e),
    read: async () => {
      if (failNext) { failNext = false; throw new Error('store away'); }
      return fleet;
    },
  });
  return { clock, feed, errors, set: (f: Instance[]) => { fleet = f; }, fail: () => { failNext = true; } };
}

describe('FleetFeed', () => {
  it('reads nothing until someone listens, then sends a snapshot and only what changed', async () => {
    const t = setup([inst('a', 'x'), inst('b', 'y')]);
    t.clock.advance(10_000);
    expect(t.feed.reads).toBe(0);
    const got: FleetMessage[] = [];
    t.feed.subscribe((m) => got.push(m));
    t.clock.advance(0);
    await flush();
    expect(got).toEqual([{ type: 'snapshot', items: [inst('a', 'x'), inst('b', 'y')] }]);

    // Nothing changed: a tick sends nothing.
    t.clock.advance(1000);
    await flush();
    expect(t.feed.reads).toBe(2);
    expect(got).toHaveLength(1);

    // One changed, one new, one gone.
    t.set([inst('a', 'x', 1), inst('c', 'x')]);
    t.clock.advance(1000);
    await flush();
    expect(got[1]).toEqual({ type: 'changes', upserts: [inst('a', 'x', 1), inst('c', 'x')], removed: [{ id: 'b', tenant: 'y' }] });
  });

  it('shares one read per tick among every listener; a late listener gets the current snapshot at once', async () => {
    const t = setup([inst('a', 'x')]);
    const first: FleetMessage[] = [];
    const second: FleetMessage[] = [];
    t.feed.subscribe((m) => first.push(m));
    t.clock.advance(0);
    await flush();
    t.feed.subscribe((m) => second.push(m));
    expect(second).toEqual([{ type: 'snapshot', items: [inst('a', 'x')] }]);
    t.set([inst('a', 'x', 2)]);
    t.clock.advance(1000);
    await flush();
    expect(t.feed.reads).toBe(2);
    expect(first.map((m) => m.type)).toEqual(['snapshot', 'changes']);
    expect(second.map((m) => m.type)).toEqual(['snapshot', 'changes']);
  });

  it('stops reading when the last listener leaves and starts from a fresh snapshot after', async () => {
    const t = setup([inst('a', 'x')]);
    const off = t.feed.subscribe(() => undefined);
    t.clock.advance(0);
    await flush();
    off();
    expect(t.clock.pending()).toBe(0);
    t.clock.advance(60_000);
    await flush();
    expect(t.feed.reads).toBe(1);
    t.set([inst('a', 'x', 5)]);
    const got: FleetMessage[] = [];
    t.feed.subscribe((m) => got.push(m));
    t.clock.advance(0);
    await flush();
    expect(got).toEqual([{ type: 'snapshot', items: [inst('a', 'x', 5)] }]);
  });

  it('a failed read is reported and retried on the next tick; listeners keep what they had', async () => {
    const t = setup([inst('a', 'x')]);
    const got: FleetMessage[] = [];
    t.feed.subscribe((m) => got.push(m));
    t.fail();
    t.clock.advance(0);
    await flush();
    expect(t.errors).toHaveLength(1);
    expect(got).toEqual([]);
    t.clock.advance(1000);
    await flush();
    expect(got).toEqual([{ type: 'snapshot', items: [inst('a', 'x')] }]);
  });

  it('listeners that come and go within an interval share one read (once=true cannot force a read each)', async () => {
    const t = setup([inst('a', 'x')]);
    const snapshots: FleetMessage[] = [];
    const once = async (): Promise<void> => {
      let off = (): void => undefined;
      off = t.feed.subscribe((m) => { snapshots.push(m); off(); });
      t.clock.advance(0);
      await flush();
      off();
    };
    for (let i = 0; i < 20; i++) {
      await once();
      t.clock.advance(40);
    }
    // 20 listeners over 800 ms: one read, every one served.
    expect(snapshots).toHaveLength(20);
    expect(t.feed.reads).toBe(1);
    t.clock.advance(1000);
    await once();
    expect(t.feed.reads).toBe(2);
  });

  it('a slow read stretches the pause to three times its duration', async () => {
    const clock = new ManualClock();
    const feed = new FleetFeed({ clock, intervalMs: 1000, read: async () => { clock.advance(2000); return [inst('a', 'x')]; } });
    feed.subscribe(() => undefined);
    // Driven directly: the read moves the clock 2 s (the subscribe's 0 ms timer finds a read running).
    await feed.tick();
    expect(feed.reads).toBe(1);
    clock.advance(5999);
    await flush();
    expect(feed.reads).toBe(1);
    clock.advance(1);
    await flush();
    expect(feed.reads).toBe(2);
  });

  it('close ends reading and refuses new listeners', async () => {
    const t = setup([inst('a', 'x')]);
    t.feed.subscribe(() => undefined);
    t.clock.advance(0);
    await flush();
    t.feed.close();
    expect(t.clock.pending()).toBe(0);
    expect(() => t.feed.subscribe(() => undefined)).toThrow(/closed/);
  });
});
