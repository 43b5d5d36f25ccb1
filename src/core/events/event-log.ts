import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { EventRecord, EventsRepo } from '../../store/repositories/events-repo.js';

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

type Listener = (event: AppendEvent & { at: string }) => void;

/** The append-only history of what happened to instances and why. */
export class EventLog {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly repo: EventsRepo, private readonly clock: Clock, private readonly logger: Logger) {}

  async append(...events: AppendEvent[]): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    await this.repo.insertMany(events.map((e) => ({
      instanceId: e.instanceId ?? null,
      instance: e.instance ?? null,
      tenant: e.tenant ?? null,
      type: e.type,
      message: e.message,
      actor: e.actor ?? 'berth',
      data: e.data ?? null,
      at,
    })));
    for (const e of events) {
      this.logger.info({ event: e.type, instance: e.instance, actor: e.actor ?? 'berth' }, e.message);
      for (const listener of this.listeners) listener({ ...e, at });
    }
  }

  /** Appends without failing the caller: events must never break the action they record. */
  record(...events: AppendEvent[]): void {
    this.append(...events).catch((error: unknown) => this.logger.warn({ err: error }, 'could not record event'));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async list(q: Parameters<EventsRepo['list']>[0]): Promise<BerthEvent[]> {
    return this.repo.list(q);
  }
}

