import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { ProbeScheduler } from './probe-scheduler.js';

const settle = async () => { for (let i = 0; i < 10; i++) await Promise.resolve(); };

/** A probe whose calls the test completes by hand. */
function manualProbe(clock: ManualClock) {
  const calls: Array<{ id: string; at: number; done: () => void }> = [];
  let open = 0;
  let maxOpen = 0;
  const perId = new Map<string, number>();
  let maxPerId = 0;
  const probe = (id: string) => new Promise<void>((resolve) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    perId.set(id, (perId.get(id) ?? 0) + 1);
    maxPerId = Math.max(maxPerId, perId.get(id)!);
    calls.push({ id, at: clock.now(), done: () => { open--; perId.set(id, perId.get(id)! - 1); resolve(); } });
  });
  return { calls, probe, stats: () => ({ open, maxOpen, maxPerId }) };
}

describe('probe scheduler', () => {
  it('spreads first probes over the interval instead of firing them together', async () => {
    const clock = new ManualClock();
    const { calls, probe } = manualProbe(clock);
    let seed = 0;
    const scheduler = new ProbeScheduler({ clock, concurrency: 100, probe, interval: () => 30_000, random: () => ((seed = (seed * 9301 + 49297) % 233280) / 233280) });
    const start = clock.now();
    for (let i = 0; i < 60; i++) scheduler.add(`i${i}`);
    clock.advance(30_000);
    await settle();
    expect(calls).toHaveLength(60);
    const seconds = new Set(calls.map((c) => Math.floor((c.at - start) / 1000)));
    // 60 probes over a 30 s interval land in many different seconds, not in one burst.
    expect(seconds.size).toBeGreaterThan(15);
  });

  it('keeps at most one probe in flight per instance and respects the global cap', async () => {
    const clock = new ManualClock();
    const { calls, probe, stats } = manualProbe(clock);
    const scheduler = new ProbeScheduler({ clock, concurrency: 3, probe, interval: () => 1000, jitter: 0 });
    for (let i = 0; i < 10; i++) scheduler.add(`i${i}`, 0);
    clock.advance(0);
    await settle();
    expect(stats().open).toBe(3);
    // Time passes while the probes hang: no second probe of the same instance starts.
    clock.advance(10_000);
    await settle();
    expect(calls).toHaveLength(3);
    // Then probes complete 100 ms after they start, for a while.
    for (let step = 0; step < 100; step++) {
      for (const c of calls.filter((c) => clock.now() - c.at >= 100)) c.done();
      calls.splice(0, calls.length, ...calls.filter((c) => clock.now() - c.at < 100));
      await settle();
      clock.advance(100);
      await settle();
    }
    expect(stats().maxOpen).toBe(3);
    expect(stats().maxPerId).toBe(1);
    expect(scheduler.highWater).toBe(3);
  });

  it('probes each instance at its interval measured from probe start', async () => {
    const clock = new ManualClock();
    const { calls, probe } = manualProbe(clock);
    const scheduler = new ProbeScheduler({ clock, concurrency: 5, probe, interval: () => 5000, jitter: 0 });
    const start = clock.now();
    scheduler.add('a', 0);
    clock.advance(0);
    for (let i = 0; i < 4; i++) {
      await settle();
      clock.advance(200); // each probe takes 200 ms
      calls.at(-1)!.done();
      await settle();
      clock.advance(4800);
    }
    await settle();
    expect(calls.map((c) => c.at - start)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
  });

  it('stops probing removed instances and probes soon when asked', async () => {
    const clock = new ManualClock();
    const { calls, probe } = manualProbe(clock);
    const scheduler = new ProbeScheduler({ clock, concurrency: 5, probe, interval: () => 30_000, jitter: 0 });
    scheduler.add('a', 10_000);
    scheduler.add('b', 10_000);
    scheduler.remove('b');
    scheduler.probeSoon('a', 100);
    clock.advance(100);
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['a']);
    // Asked again while in flight: the next probe follows right after this one.
    scheduler.probeSoon('a', 50);
    calls[0]!.done();
    await settle();
    clock.advance(50);
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['a', 'a']);
    calls[1]!.done();
    await scheduler.stop();
    clock.advance(60_000);
    await settle();
    expect(calls).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });
});
