import { backoffDelay } from '../common/retry.js';
import type { RestartPolicy } from '../config/schema.js';

/** Why a restart was asked for; also the `reason` label of the restarts metric. */
export type RestartReason = 'exit' | 'oom' | 'unhealthy' | 'restart-failed';

export interface RestartDecision {
  kind: 'restart';
  delayMs: number;
  /** Position in the current streak (restarts since the last stable period), from 0. */
  attempt: number;
  status: 'restarting' | 'crashloop';
  /** The streak the decision was made on: emptied when the instance had been stable. */
  history: number[];
  reset: boolean;
  /** Restarts already inside the crash-loop window. */
  inWindow: number;
}

export interface FailDecision {
  kind: 'fail';
  history: number[];
  attempts: number;
}

/** Policy values in milliseconds, as the decision uses them. */
export interface RestartPolicyMs {
  baseMs: number;
  capMs: number;
  jitter: number;
  resetAfterMs: number;
  windowMs: number;
  crashloopRestarts: number;
  failAfterRestarts: number;
}

export function policyMs(policy: RestartPolicy): RestartPolicyMs {
  return {
    baseMs: policy.baseDelaySeconds * 1000,
    capMs: Math.max(policy.baseDelaySeconds, policy.maxDelaySeconds) * 1000,
    jitter: policy.jitter,
    resetAfterMs: policy.resetAfterSeconds * 1000,
    windowMs: policy.windowSeconds * 1000,
    crashloopRestarts: policy.crashloopRestarts,
    failAfterRestarts: policy.failAfterRestarts,
  };
}

/** The instance has run for the reset period since its last restart: the streak is forgotten. */
export function isStable(policy: RestartPolicyMs, history: readonly number[], now: number): boolean {
  const last = history.at(-1);
  return last === undefined || now - last >= policy.resetAfterMs;
}

/**
 * The first restart of a streak is immediate (a crashed agent should be back at once); after
 * that base·2^(attempt-1) capped at the cap, with jitter taken downwards only, so the cap is a
 * real ceiling and a fleet failing together still spreads out.
 */
export function restartDelay(policy: RestartPolicyMs, attempt: number, random: () => number = Math.random): number {
  if (attempt <= 0) return 0;
  return backoffDelay(attempt - 1, { baseMs: policy.baseMs, capMs: policy.capMs, jitter: policy.jitter }, random);
}

/**
 * Kubelet-like: each restart in a streak doubles the delay; more than `crashloopRestarts`
 * restarts inside the window is a crash loop (still retried, at the cap); a streak of
 * `failAfterRestarts` restarts without a stable period ends in `failed`.
 * `history` holds the times (ms) of the restarts performed in the current streak, oldest first.
 * A crash loop lasts until a stable period: at the cap, restarts grow too sparse to keep
 * the window full, and flapping back to `restarting` would hide the loop.
 */
export function decideRestart(
  policy: RestartPolicyMs, history: readonly number[], now: number,
  options: { inCrashloop?: boolean; random?: () => number } = {},
): RestartDecision | FailDecision {
  const reset = history.length > 0 && isStable(policy, history, now);
  const streak = reset ? [] : [...history];
  if (streak.length >= policy.failAfterRestarts) return { kind: 'fail', history: streak, attempts: streak.length };
  const inWindow = streak.filter((t) => now - t < policy.windowMs).length;
  const crashloop = (options.inCrashloop === true && !reset) || inWindow + 1 > policy.crashloopRestarts;
  const random = options.random ?? Math.random;
  const attempt = streak.length;
  const delayMs = crashloop ? restartDelay(policy, Number.MAX_SAFE_INTEGER, random) : restartDelay(policy, attempt, random);
  return { kind: 'restart', delayMs, attempt, status: crashloop ? 'crashloop' : 'restarting', history: streak, reset, inWindow };
}

/** Keeps only what the next decisions need: the streak is bounded by the fail limit. */
export function appendRestart(policy: RestartPolicyMs, history: readonly number[], at: number): number[] {
  return [...history, at].slice(-Math.max(policy.failAfterRestarts, policy.crashloopRestarts) - 1);
}
