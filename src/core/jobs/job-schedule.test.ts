import { describe, expect, it } from 'vitest';
import { countSlots, decideSlot, nextRunAfter, wakeDelay } from './job-schedule.js';

const at = (s: string): number => Date.parse(s);

describe('nextRunAfter', () => {
  it('reads six fields as seconds first and returns the slot strictly after the reference', () => {
    expect(nextRunAfter('*/2 * * * * *', 'UTC', at('2026-01-01T00:00:00.000Z'))).toBe(at('2026-01-01T00:00:02.000Z'));
    expect(nextRunAfter('*/2 * * * * *', 'UTC', at('2026-01-01T00:00:01.999Z'))).toBe(at('2026-01-01T00:00:02.000Z'));
    expect(nextRunAfter('*/2 * * * * *', 'UTC', at('2026-01-01T00:00:02.000Z'))).toBe(at('2026-01-01T00:00:04.000Z'));
  });

  it('reads five fields as minute precision', () => {
    expect(nextRunAfter('0 3 * * *', 'UTC', at('2026-01-01T03:00:00.000Z'))).toBe(at('2026-01-02T03:00:00.000Z'));
    expect(nextRunAfter('*/15 * * * *', 'UTC', at('2026-01-01T10:07:30Z'))).toBe(at('2026-01-01T10:15:00Z'));
  });

  it('reads the schedule in the job time zone, across daylight saving changes', () => {
    // 03:00 in New York is 08:00 UTC in winter and 07:00 UTC in summer.
    expect(nextRunAfter('0 3 * * *', 'America/New_York', at('2026-01-10T12:00:00Z'))).toBe(at('2026-01-11T08:00:00Z'));
    expect(nextRunAfter('0 3 * * *', 'America/New_York', at('2026-07-10T12:00:00Z'))).toBe(at('2026-07-11T07:00:00Z'));
    expect(nextRunAfter('30 9 * * 1', 'Asia/Kolkata', at('2026-01-01T00:00:00Z'))).toBe(at('2026-01-05T04:00:00Z'));
  });

  it('returns null for a schedule that never fires', () => {
    expect(nextRunAfter('0 0 30 2 *', 'UTC', at('2026-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('countSlots', () => {
  it('counts the slots in (from, to], capped', () => {
    expect(countSlots('*/2 * * * * *', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:10Z'))).toBe(5);
    expect(countSlots('* * * * * *', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 50)).toBe(50);
  });
});

describe('decideSlot', () => {
  const job = { schedule: '*/2 * * * * *', timezone: 'UTC', missedPolicy: 'skip' as const };
  const slot = at('2026-01-01T00:00:10Z');

  it('waits until the slot is due', () => {
    expect(decideSlot({ ...job, nextRunAt: slot }, slot - 1, 5000)).toEqual({ kind: 'wait', dueAt: slot });
    expect(decideSlot({ ...job, nextRunAt: null }, slot, 5000)).toEqual({ kind: 'wait', dueAt: null });
  });

  it('runs a due slot that is on time or late within the grace, and stores the slot after it', () => {
    expect(decideSlot({ ...job, nextRunAt: slot }, slot, 5000)).toEqual({ kind: 'run', slot, trigger: 'schedule', next: slot + 2000, missed: 0 });
    // Late by 3 s, inside the grace: still this slot, and the next one (already due) comes after it.
    expect(decideSlot({ ...job, nextRunAt: slot }, slot + 3000, 5000)).toEqual({ kind: 'run', slot, trigger: 'schedule', next: slot + 2000, missed: 0 });
  });

  it('skips slots missed beyond the grace and resumes after now (missedPolicy skip)', () => {
    const now = slot + 60_500;
    expect(decideSlot({ ...job, nextRunAt: slot }, now, 5000)).toEqual({ kind: 'skip', slot, next: slot + 62_000, missed: 31 });
  });

  it('runs exactly one catch-up for all missed slots (missedPolicy run-once)', () => {
    const now = slot + 60_500;
    const decision = decideSlot({ ...job, missedPolicy: 'run-once', nextRunAt: slot }, now, 5000);
    expect(decision).toEqual({ kind: 'run', slot, trigger: 'catch-up', next: slot + 62_000, missed: 31 });
    // After storing `next`, nothing more is due until then: one run, not a replay.
    expect(decideSlot({ ...job, missedPolicy: 'run-once', nextRunAt: slot + 62_000 }, now, 5000).kind).toBe('wait');
  });

  it('treats a daily job missed by hours as missed, not late', () => {
    const daily = { schedule: '0 3 * * *', timezone: 'UTC', missedPolicy: 'skip' as const, nextRunAt: at('2026-01-01T03:00:00Z') };
    expect(decideSlot(daily, at('2026-01-01T09:00:00Z'), 5000)).toEqual({ kind: 'skip', slot: at('2026-01-01T03:00:00Z'), next: at('2026-01-02T03:00:00Z'), missed: 1 });
  });
});

describe('wakeDelay', () => {
  it('sleeps until the earliest slot, never longer than the poll', () => {
    expect(wakeDelay([1500, 1200, null], 1000, 1000)).toBe(200);
    expect(wakeDelay([9000, null], 1000, 1000)).toBe(1000);
    expect(wakeDelay([500], 1000, 1000)).toBe(0);
    expect(wakeDelay([], 1000, 1000)).toBe(1000);
  });
});
