import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, InstancesTable } from '../database.js';

export type InstanceRow = Selectable<InstancesTable>;
export type NewInstanceRow = Insertable<InstancesTable>;
/** Columns a writer may set; id, version and created_at are the repo's. */
export type InstancePatch = Omit<Updateable<InstancesTable>, 'id' | 'version' | 'created_at' | 'updated_at'>;

export interface InstanceFilter {
  tenant?: string;
  status?: string;
  plan?: string;
  limit: number;
  offset: number;
}

/** Instance rows. Writers update only the columns they own, conditionally on the status they expect. */
export class InstancesRepo {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => string) {}

  /** Throws the store's unique violation (see uniqueViolation) on a taken name or host port. */
  async insert(row: NewInstanceRow): Promise<void> {
    await this.db.insertInto('instances').values(row).execute();
  }

  get(id: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByName(name: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom('instances').selectAll().where('name', '=', name).executeTakeFirst();
  }

  findByIdOrName(idOrName: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom('instances').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
  }

  async list(filter: InstanceFilter): Promise<{ rows: InstanceRow[]; total: number }> {
    let query = this.db.selectFrom('instances');
    if (filter.tenant) query = query.where('tenant', '=', filter.tenant);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.plan) query = query.where('plan', '=', filter.plan);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('created_at').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return { rows, total: Number(count?.n ?? 0) };
  }

  listAll(): Promise<InstanceRow[]> {
    return this.db.selectFrom('instances').selectAll().orderBy('created_at').execute();
  }

  async usedPorts(): Promise<Set<number>> {
    const rows = await this.db.selectFrom('instances').select('host_port').where('host_port', 'is not', null).execute();
    return new Set(rows.map((r) => r.host_port as number));
  }

  async countOnNetwork(networkName: string): Promise<number> {
    const row = await this.db.selectFrom('instances').select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('network_name', '=', networkName).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Sets `patch` on the row if its status is one of `onlyIf` (any status when omitted).
   * Returns whether a row changed: false means someone else moved it first.
   */
  async update(id: string, patch: InstancePatch, onlyIf?: readonly string[]): Promise<boolean> {
    let query = this.db.updateTable('instances')
      .set({ ...patch, updated_at: this.now(), version: sql<number>`version + 1` })
      .where('id', '=', id);
    if (onlyIf) query = query.where('status', 'in', [...onlyIf]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('instances').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
