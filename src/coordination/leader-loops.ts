import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import { describeError } from '../common/errors.js';
import { phase, type Service } from '../common/lifecycle.js';
import type { Logger } from '../common/logger.js';
import type { AppendEvent } from '../core/events/event-log.js';
import { LeaderElector, type LeaseStore } from './leader-elector.js';
import { SingleLeadership, type LeaderTerm, type Leadership, type LeadershipStatus } from './leadership.js';

export interface LeaderLoopsOptions {
  /** Postgres: the leases table; absent (SQLite): this process leads alone. */
  leases: LeaseStore | undefined;
  scope: string;
  processId: string;
  leaseMs: number;
  pollMs: number;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  record: (...events: AppendEvent[]) => void;
  /** The loops of one term (reconciler, monitor …): started in order when leadership is gained, stopped in reverse when it is lost. */
  termServices: (term: LeaderTerm | undefined) => Service[];
}

/**
 * Runs the leader-only loops where the lease is held. Every process serves the API; only the
 * leader reconciles, follows the engine's events, probes and restarts. With SQLite the one
 * process leads from start to stop, exactly as a lone berth always did.
 */
export class LeaderLoops implements Service {
  readonly name = 'leadership';
  private readonly elector: LeaderElector | SingleLeadership;
  private running: Service[] = [];
  /** While the daemon boots, each loop's start is a logged boot phase (reconciler, monitor …). */
  private booting = false;
  private readonly gauge: Gauge;
  private readonly changes: Counter<'change'>;

  constructor(private readonly o: LeaderLoopsOptions) {
    this.gauge = new Gauge({ name: 'berth_leader', help: '1 while this berth process holds the leader lease (runs the reconciler and monitor), else 0', registers: [o.metrics] });
    this.changes = new Counter({ name: 'berth_leader_changes_total', help: 'Times this berth process gained or lost leadership', labelNames: ['change'], registers: [o.metrics] });
    this.changes.inc({ change: 'gained' }, 0);
    this.changes.inc({ change: 'lost' }, 0);
    const events = { onGained: (term: LeaderTerm | undefined, previous: string | null) => this.gained(term, previous), onLost: (reason: string) => this.lost(reason) };
    this.elector = o.leases
      ? new LeaderElector({
        store: o.leases, lease: `leader:${o.scope}`, processId: o.processId, nonce: randomBytes(8).toString('hex'),
        leaseMs: o.leaseMs, pollMs: o.pollMs, clock: o.clock, logger: o.logger, events,
      })
      : new SingleLeadership(o.processId, events, () => o.clock.now());
  }

  get leadership(): Leadership {
    return this.elector;
  }

  status(): LeadershipStatus {
    return this.elector.status();
  }

  async start(): Promise<void> {
    this.booting = true;
    try {
      await this.elector.start();
    } finally {
      this.booting = false;
    }
    if (!this.elector.isLeader()) this.o.logger.info({ leader: this.elector.status().leader }, 'another berth holds the leader lease: serving the API as a follower');
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }

  private async gained(term: LeaderTerm | undefined, previous: string | null): Promise<void> {
    this.gauge.set(1);
    this.changes.inc({ change: 'gained' });
    if (term) {
      this.o.record({
        type: 'leader-takeover', message: `${this.o.processId} is the leader now (term ${term.token})${previous ? `, taking over from ${previous}` : ''}`,
        data: { processId: this.o.processId, term: term.token, previous },
      });
    }
    this.running = this.o.termServices(term);
    for (const service of this.running) {
      // Lost again while starting: the rest of this term never starts.
      if (!this.elector.isLeader()) break;
      const start = (): Promise<void> => service.start();
      await (this.booting ? phase(this.o.logger, service.name, start) : start())
        .catch((error: unknown) => this.o.logger.error({ service: service.name, reason: describeError(error) }, 'leader loop failed to start'));
    }
  }

  private async lost(reason: string): Promise<void> {
    this.gauge.set(0);
    this.changes.inc({ change: 'lost' });
    const running = this.running;
    this.running = [];
    for (const service of [...running].reverse()) {
      await service.stop().catch((error: unknown) => this.o.logger.warn({ service: service.name, reason: describeError(error) }, 'leader loop stop failed'));
    }
    this.o.logger.info({ reason }, 'leader loops stopped');
  }
}
