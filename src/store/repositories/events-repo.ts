import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, EventsTable } from '../database.js';
import type { StoreDialect } from '../store-dialect.js';

/** One entry of the history, as the store keeps it (data parsed). */
export interface EventRecord {
  id: number;
  instanceId: string | null;
  /** The instance's name when it happened (names are reused; the id is not). */
  instance: string | null;
  tenant: string | null;
  type: string;
  message: string;
  actor: string;
  data: Record<string, unknown> | null;
  at: string;
}

export type NewEvent = Omit<EventRecord, 'id'>;

export interface EventQuery {
  instanceId?: string;
  /** By name: also finds the history of deleted instances. */
  instanceName?: string;
  tenant?: string;
  type?: string;
  /** Only events with id greater than this (for following). */
  afterId?: number;
  limit: number;
}

function toEventRecord(row: Selectable<EventsTable>): EventRecord {
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

function toRow(e: NewEvent): Insertable<EventsTable> {
  return {
    instance_id: e.instanceId, instance_name: e.instance, tenant: e.tenant, type: e.type, message: e.message, actor: e.actor,
    data: e.data ? JSON.stringify(e.data) : null, at: e.at,
  };
}

/**
 * Inserts events inside a caller's transaction, so a change and the event saying why commit
 * together. Postgres hands out ids before commit, so a reader following by id (after=) could
 * pass an id whose row commits later and never see it: event inserts take one lock, so ids
 * commit in order.
 */
export async function insertEvents(trx: Transaction<Database>, dialect: StoreDialect, events: readonly NewEvent[]): Promise<void> {
  if (!events.length) return;
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('berth.events'))`.execute(trx);
  await trx.insertInto('events').values(events.map(toRow)).execute();
}

export class EventsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: StoreDialect = 'sqlite') {}

  async insertMany(events: readonly NewEvent[]): Promise<void> {
    if (!events.length) return;
    if (this.dialect !== 'postgres') {
      await this.db.insertInto('events').values(events.map(toRow)).execute();
      return;
    }
    await this.db.transaction().execute((trx) => insertEvents(trx, this.dialect, events));
  }

  /** Newest first, unless following (afterId), then oldest first. */
  async list(q: EventQuery): Promise<EventRecord[]> {
    let query = this.db.selectFrom('events').selectAll();
    if (q.instanceId) query = query.where('instance_id', '=', q.instanceId);
    if (q.instanceName) query = query.where('instance_name', '=', q.instanceName);
    if (q.tenant) query = query.where('tenant', '=', q.tenant);
    if (q.type) query = query.where('type', '=', q.type);
    const rows = q.afterId !== undefined
      ? await query.where('id', '>', q.afterId).orderBy('id', 'asc').limit(q.limit).execute()
      : await query.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toEventRecord);
  }
}
