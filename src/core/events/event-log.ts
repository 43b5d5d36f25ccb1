import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { EventRecord, EventsRepo, NewEvent } from '../../store/repositories/events-repo.js';

/** An event as the API shows it: exactly what the store keeps. */
export type BerthEvent = EventRecord;

export interface AppendEvent {
  instanceId?: string | null;
  instance?: string | null;
  tenant?: string | null;
  type: string;
  message: string;
  /** Token name for API actions; `berth` for the daemon's own decisions. */
  actor?: string;
  data?: Record<string, unknown>;
}

type Listener = (event: NewEvent) => void;

/** The append-only history of what happened to instances and why. */
export class EventLog {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly repo: EventsRepo, private readonly clock: Clock, private readonly logger: Logger) {}

  async append(...events: AppendEvent[]): Promise<void> {
    const rows = this.stamp(...events);
    await this.repo.insertMany(rows);
    this.announce(rows);
  }

  /** Events as the store writes them, stamped now: for a repo that commits them with the change they record. */
  stamp(...events: AppendEvent[]): NewEvent[] {
    const at = new Date(this.clock.now()).toISOString();
    return events.map((e) => ({
      instanceId: e.instanceId ?? null,
      instance: e.instance ?? null,
      tenant: e.tenant ?? null,
      type: e.type,
      message: e.message,
      actor: e.actor ?? 'berth',
      data: e.data ?? null,
      at,
    }));
  }

  /** Logs and tells listeners about events already committed (by append, or with the change they record). */
  announce(rows: readonly NewEvent[]): void {
    for (const e of rows) {
      this.logger.info({ event: e.type, instance: e.instance, actor: e.actor }, e.message);
      for (const listener of this.listeners) listener(e);
    }
  }

  /**
   * Appends without failing the caller: events must never break the action they record. An
   * API action awaits it before answering, so its event is in the history when the answer
   * arrives (on Postgres a later read may use another connection); loops need not wait.
   */
  record(...events: AppendEvent[]): Promise<void> {
    return this.append(...events).catch((error: unknown) => this.logger.warn({ err: error }, 'could not record event'));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async list(q: Parameters<EventsRepo['list']>[0]): Promise<BerthEvent[]> {
    return this.repo.list(q);
  }
}

