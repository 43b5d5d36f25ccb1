import type { Clock } from '../../common/clock.js';
import type { AppendEvent } from '../events/event-log.js';

/** Why a container was restarted: asked for (API, job, the exit policy without a monitor) or decided by the monitor. */
export type RestartCause = 'requested' | 'exit' | 'oom' | 'unhealthy' | 'restart-failed';

export interface RestartRequest {
  instanceId: string;
  instance: string;
  tenant: string;
  /** The container being stopped or restarted; its exits while this runs are berth's own, not crashes. */
  containerId: string | null;
  cause: RestartCause;
  actor: string;
}

export interface RestartSteps {
  /** Stops and starts the container (whatever the caller's engine steps are). */
  engine: () => Promise<void>;
  /** Writes the outcome to the store at `at`; null when the instance moved on meanwhile (no event, not counted). */
  commit: (at: number) => Promise<{ message: string; data?: Record<string, unknown> } | null>;
}

export interface RestartPathOptions {
  clock: Pick<Clock, 'now'>;
  events: { record(...events: AppendEvent[]): void };
  /** Counts each restart by cause (berth_restarts_total). */
  count?: (cause: RestartCause) => void;
  /** How many containers' spans to remember (oldest forgotten first). */
  remember?: number;
}

interface Span {
  from: number;
  /** Null while the restart is still running. */
  until: number | null;
}

/**
 * The one restart path. Every restart of an instance's container — API, job, the exit policy,
 * the monitor's failure policy — runs through `restart`: the same span bookkeeping (so an exit
 * caused by berth's own stop is never counted as a crash, whoever stopped it), the same
 * `restarted` event and the same count.
 */
export class RestartPath {
  private readonly spans = new Map<string, Span>();

  constructor(private readonly o: RestartPathOptions) {}

  /** True when an exit of `containerId` at `at` (ms) happened inside one of berth's own restarts. */
  causedByUs(containerId: string, at: number): boolean {
    const span = this.spans.get(containerId);
    return span !== undefined && span.from <= at && (span.until === null || at <= span.until);
  }

  /** Runs the restart's steps; returns whether it was committed (recorded and counted). Engine errors propagate. */
  async restart(req: RestartRequest, steps: RestartSteps): Promise<boolean> {
    const span: Span = { from: this.o.clock.now(), until: null };
    if (req.containerId) this.remember(req.containerId, span);
    try {
      await steps.engine();
    } finally {
      span.until = this.o.clock.now();
    }
    const outcome = await steps.commit(span.until);
    if (!outcome) return false;
    this.o.count?.(req.cause);
    await this.o.events.record({
      instanceId: req.instanceId, instance: req.instance, tenant: req.tenant, type: 'restarted', actor: req.actor,
      message: outcome.message, data: { cause: req.cause, ...outcome.data },
    });
    return true;
  }

  private remember(containerId: string, span: Span): void {
    this.spans.delete(containerId);
    this.spans.set(containerId, span);
    if (this.spans.size > (this.o.remember ?? 10_000)) this.spans.delete(this.spans.keys().next().value!);
  }
}
