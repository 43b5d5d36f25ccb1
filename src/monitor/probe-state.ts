import { STATUS, type InstanceStatus } from '../core/instances/instance-status.js';
import type { HealthSpec } from './health-spec.js';

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

/**
 * The health-check state of one container run: consecutive counts and the start period.
 * A new run (restart, new container) gets a new ProbeState.
 */
export class ProbeState {
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  /** Passed at least once since this run started: ends the start period early (as Docker does). */
  passedSinceStart = false;

  constructor(readonly spec: HealthSpec, readonly startedAt: number) {}

  inStartPeriod(now: number): boolean {
    return !this.passedSinceStart && now < this.startedAt + this.spec.startPeriodMs;
  }

  observe(ok: boolean, now: number, status: InstanceStatus): ProbeVerdict {
    if (ok) {
      this.consecutiveFailures = 0;
      this.consecutiveSuccesses++;
      this.passedSinceStart = true;
      return AWAITING_HEALTH.has(status) && this.consecutiveSuccesses >= this.spec.successThreshold ? 'healthy' : 'none';
    }
    this.consecutiveSuccesses = 0;
    if (this.inStartPeriod(now)) return 'ignored';
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.spec.failureThreshold) return 'restart';
    return status === 'running' && this.consecutiveFailures === 1 ? 'unhealthy' : 'none';
  }

  /**
   * The next probe's delay: quick during the start period so a (re)started instance is seen
   * running soon after it is, the configured interval otherwise.
   */
  nextDelay(now: number, startIntervalMs: number): number {
    return this.inStartPeriod(now) ? Math.min(this.spec.intervalMs, startIntervalMs) : this.spec.intervalMs;
  }
}
