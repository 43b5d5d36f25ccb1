import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../runtime/runtime-driver.js';
import { REPLAY_SLACK_MS, ReplayFilter } from './replay-filter.js';

const die = (containerId: string, at: number): RuntimeEvent => ({ type: 'die', containerId, labels: {}, exitCode: 0, at });
const start = (containerId: string, at: number): RuntimeEvent => ({ ...die(containerId, at), type: 'start' });
const passed = (events: RuntimeEvent[]): string[] => {
  const filter = new ReplayFilter();
  return events.filter((e) => !filter.isReplay(e)).map((e) => `${e.type}:${e.containerId}`);
};

describe('ReplayFilter', () => {
  const now = 1_800_000_000_000;

  it('drops events far older than the newest seen, and exact repeats of recent ones', () => {
    expect(passed([die('a', now - 60_000), start('a', now), die('old', now - 3_600_000), die('a', now - 60_000), start('a', now), die('a', now + 10)]))
      .toEqual(['die:a', 'start:a', 'die:a']);
  });

  it('keeps events a few seconds out of order, distinct events at the same moment, and events without a time', () => {
    expect(passed([die('a', now), die('b', now - REPLAY_SLACK_MS + 50), start('a', now), die('c', 0), die('c', 0)]))
      .toEqual(['die:a', 'die:b', 'start:a', 'die:c', 'die:c']);
  });

  it('remembers a bounded number of recent events and counts what it skipped', () => {
    const filter = new ReplayFilter();
    for (let i = 0; i < 3000; i++) filter.isReplay(die(`c${i}`, now + i));
    expect(filter.isReplay(die('c2999', now + 2999))).toBe(true);
    // Long forgotten, and within the slack: not recognisable as a replay.
    expect(filter.isReplay(die('c0', now))).toBe(false);
    expect(filter.takeSkipped()).toBe(1);
    expect(filter.takeSkipped()).toBe(0);
  });
});
