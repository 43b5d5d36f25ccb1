/**
 * The health gate of a rollout as the domain sees it. The monitor (the one health judge)
 * implements it with its own prober, health-spec resolution and probe-state rules; core only
 * asks whether a just-started container became healthy in time.
 */
export interface GateTarget {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  containerId: string;
  hostPort: number;
  /** The instance's stored health spec (JSON), resolved against its plan like any probe. */
  health: string;
}

export interface GateVerdict {
  healthy: boolean;
  /** Why not (or 'healthy'). */
  reason: string;
  /** Set when the container exited during the gate. */
  exitCode: number | null;
  probes: number;
  /** When the first passing probe answered (unix ms). */
  healthyAt: number | null;
}

export interface HealthGate {
  /** Probes `target` until it is healthy (successThreshold passes), plainly failing, or `deadlineMs` passes; `abandon` ends it early. */
  judge(target: GateTarget, deadlineMs: number, abandon?: () => Promise<string | null>): Promise<GateVerdict>;
}

/** The instance domain is built before the monitor: the judge is attached here once it exists. */
export class HealthGateSlot implements HealthGate {
  private target: HealthGate | undefined;

  attach(target: HealthGate): void {
    this.target = target;
  }

  judge(target: GateTarget, deadlineMs: number, abandon?: () => Promise<string | null>): Promise<GateVerdict> {
    if (!this.target) return Promise.resolve({ healthy: false, reason: 'no health judge is attached', exitCode: null, probes: 0, healthyAt: null });
    return this.target.judge(target, deadlineMs, abandon);
  }
}
