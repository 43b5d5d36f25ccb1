import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Database, EventsTable } from '../database.js';

export type EventRow = Selectable<EventsTable>;

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

export class EventsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: 'sqlite' | 'postgres' = 'sqlite') {}

  async insertMany(rows: Array<Insertable<EventsTable>>): Promise<void> {
    if (!rows.length) return;
    if (this.dialect !== 'postgres') {
      await this.db.insertInto('events').values(rows).execute();
      return;
    }
    // Postgres hands out ids before commit, so a reader following by id (after=) could pass an id
    // whose row commits later and never see it. Event inserts take one lock, so ids commit in order.
    await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('berth.events'))`.execute(trx);
      await trx.insertInto('events').values(rows).execute();
    });
  }

  /** Newest first, unless following (afterId), then oldest first. */
  list(q: EventQuery): Promise<EventRow[]> {
    let query = this.db.selectFrom('events').selectAll();
    if (q.instanceId) query = query.where('instance_id', '=', q.instanceId);
    if (q.instanceName) query = query.where('instance_name', '=', q.instanceName);
    if (q.tenant) query = query.where('tenant', '=', q.tenant);
    if (q.type) query = query.where('type', '=', q.type);
    if (q.afterId !== undefined) return query.where('id', '>', q.afterId).orderBy('id', 'asc').limit(q.limit).execute();
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  }
}
