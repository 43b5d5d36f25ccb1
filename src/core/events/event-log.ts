import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { EventRow, EventsRepo } from '../../store/repositories/events-repo.js';

export interface BerthEvent {
  id: number;
  instanceId: string | null;
  instance: string | null;
  tenant: string | null;
  type: string;
  message: string;
  actor: string;
  data: Record<string, unknown> | null;
  at: string;
}

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
      instance_id: e.instanceId ?? null,
      instance_name: e.instance ?? null,
      tenant: e.tenant ?? null,
      type: e.type,
      message: e.message,
      actor: e.actor ?? 'berth',
      data: e.data ? JSON.stringify(e.data) : null,
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
    return (await this.repo.list(q)).map(toEvent);
  }
}

export function toEvent(row: EventRow): BerthEvent {
  return {
    id: Number(row.id),
    instanceId: row.instance_id,
    instance: row.instance_name,
    tenant: row.tenant,
    type: row.type,
    message: row.message,
    actor: row.actor,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
    at: row.at,
  };
}
