import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, LimiterClosedError } from './concurrency-limiter.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}
const ticks = async (n = 5) => { for (let i = 0; i < n; i++) await Promise.resolve(); };

describe('concurrency limiter', () => {
  it('never runs more than the limit, in FIFO order, and records the high-water mark', async () => {
    const limiter = new ConcurrencyLimiter(3);
    const gates = Array.from({ length: 10 }, deferred);
    const started: number[] = [];
    const all = gates.map((g, i) => limiter.run(async () => { started.push(i); await g.promise; return i; }));
    await ticks();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(3);
    expect(limiter.waiting).toBe(7);
    gates[1]!.resolve();
    await ticks();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(limiter.highWater).toBe(3);
    expect(limiter.active).toBe(0);
  });

  it('hands a finished slot to the next waiter before a newcomer can take it', async () => {
    let concurrent = 0;
    let max = 0;
    const task = async (wait?: Promise<void>) => {
      concurrent++;
      max = Math.max(max, concurrent);
      await (wait ?? Promise.resolve());
      concurrent--;
    };
    let newcomer: Promise<void> | undefined;
    // A newcomer arriving synchronously the moment a slot looks free must still queue.
    const limiter = new ConcurrencyLimiter(1, (active) => {
      if (active === 0 && !newcomer) newcomer = limiter.run(() => task());
    });
    const gate = deferred();
    const first = limiter.run(() => task(gate.promise));
    const waiter = limiter.run(() => task());
    await ticks();
    gate.resolve();
    await Promise.all([first, waiter]);
    await newcomer;
    expect(newcomer).toBeDefined();
    expect(max).toBe(1);
    expect(limiter.highWater).toBe(1);
  });

  it('frees the slot when a task throws', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'ok')).toBe('ok');
  });

  it('rejects waiting tasks when closed and lets running ones finish', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise.then(() => 'done'));
    const second = limiter.run(async () => 'never');
    await ticks();
    limiter.close();
    await expect(second).rejects.toBeInstanceOf(LimiterClosedError);
    gate.resolve();
    expect(await first).toBe('done');
    await expect(limiter.run(async () => 'late')).rejects.toBeInstanceOf(LimiterClosedError);
  });
});
