import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../runtime/runtime-driver.js';
import { REMEMBERED_EVENTS, ReplayFilter } from './replay-filter.js';

const die = (containerId: string, at: number): RuntimeEvent => ({ type: 'die', containerId, labels: {}, exitCode: 0, at });
const start = (containerId: string, at: number): RuntimeEvent => ({ ...die(containerId, at), type: 'start' });
const passed = (events: RuntimeEvent[]): string[] => {
  const filter = new ReplayFilter();
  return events.filter((e) => !filter.isReplay(e)).map((e) => `${e.type}:${e.containerId}@${e.at}`);
};

describe('ReplayFilter', () => {
  const now = 1_800_000_000_000;

  it('drops an event identical to one received before, however long ago', () => {
    expect(passed([die('a', now - 3_600_000), start('a', now), die('a', now - 3_600_000), start('a', now), die('a', now + 10)]))
      .toEqual([`die:a@${now - 3_600_000}`, `start:a@${now}`, `die:a@${now + 10}`]);
  });

  it('keeps distinct events: other type, container or time; earlier than the newest (a clock stepped back); without a time', () => {
    expect(passed([die('a', now), start('a', now), die('b', now), die('a', now - 60_000), die('c', 0), die('c', 0)]))
      .toEqual([`die:a@${now}`, `start:a@${now}`, `die:b@${now}`, `die:a@${now - 60_000}`, 'die:c@0', 'die:c@0']);
  });

  it('remembers a bounded number of events and counts what it skipped', () => {
    const filter = new ReplayFilter();
    for (let i = 0; i <= REMEMBERED_EVENTS; i++) filter.isReplay(die(`c${i}`, now + i));
    expect(filter.isReplay(die(`c${REMEMBERED_EVENTS}`, now + REMEMBERED_EVENTS))).toBe(true);
    // The oldest was forgotten to make room.
    expect(filter.isReplay(die('c0', now))).toBe(false);
    expect(filter.takeSkipped()).toBe(1);
    expect(filter.takeSkipped()).toBe(0);
  });
});
