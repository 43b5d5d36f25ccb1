import { Cron } from 'croner';
import type { MissedPolicy } from './job-types.js';

/** A cron pattern as croner reads it: 5 fields, or 6 with seconds first. */
export function parseSchedule(schedule: string, timezone: string): Cron {
  return new Cron(schedule, { mode: '5-or-6-parts', timezone });
}

/** True when the runtime knows this IANA time zone. */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The first slot strictly after `afterMs`, in epoch ms; null when the pattern never fires again. */
export function nextRunAfter(schedule: string, timezone: string, afterMs: number): number | null {
  return parseSchedule(schedule, timezone).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** How many slots fall in (fromMs, toMs], counting at most `cap` (a seconds job down for a day has 86 400). */
export function countSlots(schedule: string, timezone: string, fromMs: number, toMs: number, cap = 1000): number {
  const cron = parseSchedule(schedule, timezone);
  let n = 0;
  let at: Date | null = new Date(fromMs);
  while (n < cap && (at = cron.nextRun(at)) && at.getTime() <= toMs) n += 1;
  return n;
}

export interface SlotState {
  schedule: string;
  timezone: string;
  missedPolicy: MissedPolicy;
  /** The stored next slot (epoch ms), or null when the job has none. */
  nextRunAt: number | null;
}

export type SlotDecision =
  /** Nothing due; wake at `dueAt` (null: never). */
  | { kind: 'wait'; dueAt: number | null }
  /** Run `slot`, then store `next`. `missed` counts slots passed over for a catch-up run. */
  | { kind: 'run'; slot: number; trigger: 'schedule' | 'catch-up'; next: number | null; missed: number }
  /** Missed slots under the skip policy: store `next` without running. */
  | { kind: 'skip'; slot: number; next: number | null; missed: number };

/**
 * What the scheduler does with a job at `now`. A slot is on time until it is `graceMs` late
 * (timers and a busy store delay a little); later than that it was missed — berth was down or
 * stalled — and the job's missed policy decides: skip all of them, or one catch-up run. Either
 * way the next slot is the first after now, so a long outage never replays a backlog.
 */
export function decideSlot(state: SlotState, now: number, graceMs: number): SlotDecision {
  const slot = state.nextRunAt;
  if (slot === null || slot > now) return { kind: 'wait', dueAt: slot };
  if (now - slot <= graceMs) {
    return { kind: 'run', slot, trigger: 'schedule', next: nextRunAfter(state.schedule, state.timezone, slot), missed: 0 };
  }
  const next = nextRunAfter(state.schedule, state.timezone, now);
  // The stored slot itself plus every later one up to now.
  const missed = 1 + countSlots(state.schedule, state.timezone, slot, now);
  if (state.missedPolicy === 'run-once') return { kind: 'run', slot, trigger: 'catch-up', next, missed };
  return { kind: 'skip', slot, next, missed };
}

/** The delay until the scheduler should look again: the earliest due slot, at most `pollMs` away. */
export function wakeDelay(dueTimes: Array<number | null>, now: number, pollMs: number): number {
  let delay = pollMs;
  for (const due of dueTimes) if (due !== null) delay = Math.min(delay, Math.max(0, due - now));
  return delay;
}
