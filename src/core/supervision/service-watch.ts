import type { Clock } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { mapLimit } from '../../common/map-limit.js';
import type { AppendEvent } from '../events/event-log.js';
import { criticalServices } from './service-health.js';
import type { SupervisorLocator } from './supervisor-locator.js';

/** An instance the watch looks at: running ones with a container. */
export interface WatchedInstance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  containerId: string | null;
  status: string;
  /** When berth last started its container (the store's): a new start is looked at afresh. */
  startedAt: string | null;
  /** The stored health spec (JSON): its critical services are the monitor's, not the watch's. */
  health: string;
  scanDir: string | null;
}

export interface ServiceWatchOptions {
  instances: () => Promise<WatchedInstance[]>;
  locator: SupervisorLocator;
  preferredScanDir: (instance: WatchedInstance) => string | null;
  events: { record(...events: AppendEvent[]): void };
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  concurrency: number;
}

const WATCHED_STATUSES = new Set(['running', 'unhealthy', 'starting']);
/** A container start found without s6 is looked at again after this many rounds (a scan dir made late at boot). */
const UNSUPERVISED_RECHECK_ROUNDS = 10;

/**
 * Watches the non-critical s6 services of every running instance: a cheap periodic status
 * read (stats, and an archive read only when a status file changed; see ScanDirReader) at its
 * own interval with bounded concurrency. A service seen going down or coming back up is a
 * `service-down` / `service-up` event, and so is one found down after a failure at the first
 * look; nothing is restarted (critical services are the
 * monitor's, through ServiceHealth). An instance found without s6 is not looked at again for
 * the same container start, except every UNSUPERVISED_RECHECK_ROUNDS rounds: at 500 such
 * instances, one inspect each per round was most of the daemon's CPU between probes.
 */
export class ServiceWatch {
  /** instance id → container id and each service's last state (up or not). */
  private readonly seen = new Map<string, { containerId: string; up: Map<string, { up: boolean; changedAt: number }> }>();
  /** instance id → the container start found without s6, and the round it was found in. */
  private readonly unsupervised = new Map<string, { start: string; round: number }>();
  private rounds = 0;
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: ServiceWatchOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.running = this.round().catch((error: unknown) => {
        this.o.logger.warn({ reason: describeError(error) }, 'service watch round failed');
      }).finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.o.intervalMs);
  }

  /** A state berth itself brought about (an API action, already an event): not reported again. */
  note(instanceId: string, service: string, state: { up: boolean; changedAt: number }): void {
    this.seen.get(instanceId)?.up.set(service, state);
  }

  /** One pass over every running instance (also called directly by tests and on demand). */
  async round(): Promise<void> {
    const round = ++this.rounds;
    const all = (await this.o.instances()).filter((i) => i.containerId && WATCHED_STATUSES.has(i.status));
    const live = new Set(all.map((i) => i.id));
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    for (const id of this.unsupervised.keys()) if (!live.has(id)) this.unsupervised.delete(id);
    const due = all.filter((i) => {
      const known = this.unsupervised.get(i.id);
      return !known || known.start !== startOf(i) || round - known.round >= UNSUPERVISED_RECHECK_ROUNDS;
    });
    await mapLimit(due, this.o.concurrency, (i) => this.look(i, round));
  }

  private async look(i: WatchedInstance, round: number): Promise<void> {
    if (this.stopped) return;
    let services;
    try {
      const located = await this.o.locator.locate({
        kind: 'instance', name: i.name, instanceId: i.id, tenant: i.tenant, containerRef: i.containerId, scanDir: this.o.preferredScanDir(i), labels: {},
      });
      services = located.services;
      this.unsupervised.delete(i.id);
    } catch (error) {
      if (error instanceof BerthError && error.code === 'NO_SUPERVISOR') {
        this.unsupervised.set(i.id, { start: startOf(i), round });
        return;
      }
      // It stopped meanwhile: nothing to watch now.
      if (error instanceof BerthError && ['INVALID_STATE', 'CONTAINER_NOT_FOUND'].includes(error.code)) return;
      throw error;
    }
    const critical = new Set(criticalServices(i.health));
    let entry = this.seen.get(i.id);
    // A new container starts a new baseline: its services' first states are not transitions.
    if (!entry || entry.containerId !== i.containerId) {
      entry = { containerId: i.containerId!, up: new Map() };
      this.seen.set(i.id, entry);
    }
    const base = { instanceId: i.id, instance: i.name, tenant: i.tenant, actor: 'berth' };
    for (const s of services) {
      const up = s.state === 'up';
      const before = entry.up.get(s.name);
      entry.up.set(s.name, { up, changedAt: s.changedAt });
      if (critical.has(s.name)) continue;
      const down = { ...base, type: 'service-down', data: { service: s.name, exitCode: s.exitCode, signal: s.signal, critical: false } };
      if (before === undefined) {
        // First sight (a new container, or a berth just started) is the baseline, except a
        // service s6 wants up that is down after a failure: a crash loop is mostly down, and
        // would otherwise go unreported for as long as it lasts.
        if (!up && s.wantUp && ((s.exitCode !== null && s.exitCode !== 0) || s.signal !== null)) {
          this.o.events.record({ ...down, message: `service ${s.name} is down: ${s.raw} (so when the watch first looked)`, data: { ...down.data, firstLook: true } });
        }
        continue;
      }
      const upAgain = { ...base, type: 'service-up', message: `service ${s.name} is up again: ${s.raw}`, data: { service: s.name, pid: s.pid, critical: false } };
      if (before.up && !up) this.o.events.record({ ...down, message: `service ${s.name} is down: ${s.raw}` });
      else if (!before.up && up) this.o.events.record(upAgain);
      else if (before.up && up && before.changedAt !== s.changedAt) {
        // Down and restarted by s6 between two reads: both transitions happened.
        this.o.events.record(
          { ...down, message: `service ${s.name} went down and s6 restarted it between two reads`, data: { service: s.name, exitCode: null, signal: null, critical: false, missed: true } },
          upAgain,
        );
      }
    }
  }
}

function startOf(i: WatchedInstance): string {
  return `${i.containerId} ${i.startedAt ?? ''}`;
}
