import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Logger } from '../../common/logger.js';
import { legalSources, type IllegalTransitionPolicy, type InstanceStatus } from '../../core/instances/instance-status.js';
import type { Database, InstancesTable } from '../database.js';

export type InstanceRow = Selectable<InstancesTable>;
/** A new row always starts `creating`: the status machine's only entry. */
export type NewInstanceRow = Insertable<InstancesTable> & { status: 'creating' };
/** Columns a writer may set; id, version and created_at are the repo's, status only through `transition`. */
export type InstancePatch = Omit<Updateable<InstancesTable>, 'id' | 'version' | 'created_at' | 'updated_at' | 'status'>;

export interface InstancesRepoOptions {
  /** Stale writers (debug) and illegal transitions under the `log` policy (error). */
  logger?: Logger;
  /** `throw` in tests: an illegal transition is a bug; `log` in production. */
  illegalTransitions?: IllegalTransitionPolicy;
}

/** The columns a job needs of its target instances. */
export type TargetRow = Pick<InstanceRow, 'id' | 'name' | 'tenant' | 'plan' | 'container_id' | 'host_port' | 'status' | 'desired_state'>;

export interface InstanceFilter {
  tenant?: string;
  status?: InstanceStatus;
  plan?: string;
  limit: number;
  offset: number;
  /** Only rows after this one in list order (created_at, id): cursor paging. */
  after?: { createdAt: string; id: string };
}

/** Instance rows. Writers update only the columns they own, conditionally on the status they expect. */
export class InstancesRepo {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => string, private readonly options: InstancesRepoOptions = {}) {}

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
    const { after } = filter;
    const page = after ? query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])])) : query;
    const [rows, count] = await Promise.all([
      page.selectAll().orderBy('created_at').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return { rows, total: Number(count?.n ?? 0) };
  }

  /** A job's targets (never an instance being deleted), by name or id, tenant or plan, in name order. */
  /** Rows by name or id (`{instance}`), by bound id only (`{instanceId}`), by tenant or by plan; within `tenant` when given. */
  listTargets(target: { instance: string } | { instanceId: string } | { tenant: string } | { plan: string }, withinTenant: string | null = null): Promise<TargetRow[]> {
    let query = this.db.selectFrom('instances')
      .select(['id', 'name', 'tenant', 'plan', 'container_id', 'host_port', 'status', 'desired_state'])
      .where('status', '!=', 'deleting');
    if (withinTenant !== null) query = query.where('tenant', '=', withinTenant);
    if ('instanceId' in target) query = query.where('id', '=', target.instanceId);
    else if ('instance' in target) query = query.where((eb) => eb.or([eb('name', '=', target.instance), eb('id', '=', target.instance)]));
    else if ('tenant' in target) query = query.where('tenant', '=', target.tenant);
    else query = query.where('plan', '=', target.plan);
    return query.orderBy('name').execute();
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
   * Sets `patch` (never the status) on the row if its status is one of `onlyIf` (any status
   * when omitted). Returns whether a row changed: false means someone else moved it first.
   */
  async update(id: string, patch: InstancePatch, onlyIf?: readonly InstanceStatus[]): Promise<boolean> {
    let query = this.db.updateTable('instances')
      .set({ ...patch, updated_at: this.now(), version: sql<number>`version + 1` })
      .where('id', '=', id);
    if (onlyIf) query = query.where('status', 'in', [...onlyIf]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * The status machine's write: moves the row to `to` (with `patch`) only if its status is
   * one of `from`, each of which must be a legal source for `to`. Returns false when the
   * row had moved on already: the stale writer loses, and says so in a debug log.
   */
  async transition(id: string, from: InstanceStatus | readonly InstanceStatus[], to: InstanceStatus, patch: InstancePatch = {}): Promise<boolean> {
    const sources = legalSources(id, typeof from === 'string' ? [from] : from, to, this.options.illegalTransitions ?? 'throw',
      (error) => this.options.logger?.error({ instance: id, err: error }, error.message));
    if (!sources.length) return false;
    const result = await this.db.updateTable('instances')
      .set({ ...patch, status: to, updated_at: this.now(), version: sql<number>`version + 1` })
      .where('id', '=', id).where('status', 'in', sources)
      .executeTakeFirst();
    const moved = Number(result.numUpdatedRows) > 0;
    if (!moved) this.options.logger?.debug({ instance: id, from: sources, to }, 'status write lost: the instance had moved on');
    return moved;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('instances').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
