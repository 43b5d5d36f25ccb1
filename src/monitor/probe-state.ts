import { STATUS, type InstanceStatus } from '../common/instance-status.js';
import type { HealthSpecMs } from './health-spec.js';

/** What one probe result means for the instance. */
export type ProbeVerdict =
  /** Nothing changes. */
  | 'none'
  /** Failed inside the start period: recorded, not counted. */
  | 'ignored'
  /** Enough consecutive successes: the instance is (again) running. */
  | 'healthy'
  /** The first counted failure of a running instance. */
  | 'unhealthy'
  /** failureThreshold consecutive failures: restart it. */
  | 'restart';

/** Statuses that become `running` once probes pass. */
const AWAITING_HEALTH: ReadonlySet<InstanceStatus> = new Set(STATUS.awaitingHealth);

/** The first probe delay of a watched start; each unanswered probe doubles it, up to the start cadence. */
export const FIRST_PROBE_MS = 10;

/**
 * The health-check state of one container run: consecutive counts and the start period.
 * A new run (restart, new container) gets a new ProbeState.
 *
 * A `watched` run (a container the instances service or the reconciler just started) is
 * probed fast until its first pass: from FIRST_PROBE_MS, doubling, up to the start cadence.
 * Past the start period its failures count at most once per interval (the first one interval
 * after the start), so the fast cadence finds a healthy agent sooner without restarting a
 * slow one sooner.
 */
export class ProbeState {
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  /** Passed at least once since this run started: ends the start period early (as Docker does). */
  passedSinceStart = false;
  private probes = 0;
  private lastCountedFailureAt: number | undefined;

  constructor(readonly spec: HealthSpecMs, readonly startedAt: number, readonly watched = false) {}

  /** Still waiting, fast, for the first healthy answer of a watched start. */
  private booting(): boolean {
    return this.watched && !this.passedSinceStart;
  }

  inStartPeriod(now: number): boolean {
    return !this.passedSinceStart && now < this.startedAt + this.spec.startPeriodMs;
  }

  observe(ok: boolean, now: number, status: InstanceStatus): ProbeVerdict {
    this.probes++;
    if (ok) {
      this.consecutiveFailures = 0;
      this.consecutiveSuccesses++;
      this.passedSinceStart = true;
      return AWAITING_HEALTH.has(status) && this.consecutiveSuccesses >= this.spec.successThreshold ? 'healthy' : 'none';
    }
    this.consecutiveSuccesses = 0;
    if (this.inStartPeriod(now)) return 'ignored';
    if (this.booting() && now - (this.lastCountedFailureAt ?? this.startedAt) < this.spec.intervalMs) return 'ignored';
    this.lastCountedFailureAt = now;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.spec.failureThreshold) return 'restart';
    return status === 'running' && this.consecutiveFailures === 1 ? 'unhealthy' : 'none';
  }

  /**
   * The next probe's delay: quick during the start period so a (re)started instance is seen
   * running soon after it is, the configured interval otherwise.
   */
  nextDelay(now: number, startIntervalMs: number): number {
    if (this.booting()) return Math.min(this.spec.intervalMs, startIntervalMs, FIRST_PROBE_MS * 2 ** Math.min(this.probes, 20));
    return this.inStartPeriod(now) ? Math.min(this.spec.intervalMs, startIntervalMs) : this.spec.intervalMs;
  }
}
