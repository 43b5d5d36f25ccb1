import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { appendRestart, decideRestart, isStable, policyMs, restartDelay, type RestartDecision } from './restart-policy.js';

const policy = policyMs({
  baseDelaySeconds: 10, maxDelaySeconds: 300, jitter: 0, resetAfterSeconds: 600,
  crashloopRestarts: 5, windowSeconds: 600, failAfterRestarts: 10,
});

/** Drives a container that dies right after each restart, the way the monitor would. */
function crashLoop(clock: ManualClock, count: number, p = policy, random = () => 0) {
  let history: number[] = [];
  let inCrashloop = false;
  const decisions = [];
  for (let i = 0; i < count; i++) {
    const d = decideRestart(p, history, clock.now(), { inCrashloop, random });
    decisions.push(d);
    if (d.kind === 'fail') break;
    inCrashloop = d.status === 'crashloop';
    clock.advance(d.delayMs);
    history = appendRestart(p, d.history, clock.now());
    clock.advance(500); // runs half a second, then dies again
  }
  return decisions;
}

describe('restart policy', () => {
  it('restarts at once the first time, then doubles the delay from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => restartDelay(policy, n, () => 0))).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('takes jitter downwards only, so the cap holds and delays spread', () => {
    const p = { ...policy, jitter: 0.2 };
    expect(restartDelay(p, 1, () => 0.999)).toBeGreaterThanOrEqual(8000);
    expect(restartDelay(p, 1, () => 0.999)).toBeLessThan(8100);
    expect(restartDelay(p, 1, () => 0)).toBe(10_000);
    expect(restartDelay(p, 0, () => 0.5)).toBe(0);
    for (let i = 0; i < 50; i++) expect(restartDelay(p, 30)).toBeLessThanOrEqual(300_000);
  });

  it('goes to crashloop after more than crashloopRestarts in the window, retrying at the cap, then fails at the limit', () => {
    const clock = new ManualClock();
    const decisions = crashLoop(clock, 20);
    const restarts = decisions.filter((d): d is RestartDecision => d.kind === 'restart');
    expect(restarts.map((d) => d.status)).toEqual([
      'restarting', 'restarting', 'restarting', 'restarting', 'restarting',
      'crashloop', 'crashloop', 'crashloop', 'crashloop', 'crashloop',
    ]);
    expect(restarts.map((d) => d.delayMs)).toEqual([0, 10_000, 20_000, 40_000, 80_000, 300_000, 300_000, 300_000, 300_000, 300_000]);
    expect(decisions.at(-1)).toMatchObject({ kind: 'fail', attempts: 10 });
    expect(decisions).toHaveLength(11);
  });

  it('resets the backoff after a stable period', () => {
    const clock = new ManualClock();
    let history: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decideRestart(policy, history, clock.now(), { random: () => 0 }) as RestartDecision;
      clock.advance(d.delayMs);
      history = appendRestart(policy, d.history, clock.now());
    }
    expect(history).toHaveLength(3);
    clock.advance(599_000);
    expect(isStable(policy, history, clock.now())).toBe(false);
    expect(decideRestart(policy, history, clock.now(), { random: () => 0 })).toMatchObject({ delayMs: 40_000, attempt: 3, reset: false });
    clock.advance(1000);
    expect(isStable(policy, history, clock.now())).toBe(true);
    expect(decideRestart(policy, history, clock.now(), { random: () => 0 })).toMatchObject({ kind: 'restart', delayMs: 0, attempt: 0, reset: true, history: [] });
  });

  it('stays in crashloop until a stable period, even when restarts at the cap thin out in the window', () => {
    const now = 10_000_000;
    const sparse = [now - 900_000, now - 300_500];
    expect(decideRestart(policy, sparse, now, { random: () => 0 })).toMatchObject({ status: 'restarting' });
    expect(decideRestart(policy, sparse, now, { inCrashloop: true, random: () => 0 })).toMatchObject({ status: 'crashloop', delayMs: 300_000 });
    expect(decideRestart(policy, [now - 700_000], now, { inCrashloop: true, random: () => 0 })).toMatchObject({ status: 'restarting', reset: true, delayMs: 0 });
  });

  it('counts only restarts inside the window towards crashloop', () => {
    const p = { ...policy, windowMs: 60_000, resetAfterMs: 3_600_000, crashloopRestarts: 2, baseMs: 1000, capMs: 1000 };
    const now = 1_000_000;
    expect(decideRestart(p, [now - 120_000, now - 90_000], now, { random: () => 0 })).toMatchObject({ status: 'restarting', inWindow: 0 });
    expect(decideRestart(p, [now - 120_000, now - 30_000, now - 10_000], now, { random: () => 0 })).toMatchObject({ status: 'crashloop', inWindow: 2 });
  });

  it('keeps a bounded history', () => {
    let history: number[] = [];
    for (let i = 0; i < 100; i++) history = appendRestart(policy, history, i);
    expect(history).toHaveLength(11);
    expect(history.at(-1)).toBe(99);
  });
});
