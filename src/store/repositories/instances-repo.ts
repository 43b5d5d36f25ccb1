import { sql, type Kysely } from 'kysely';
import type { Logger } from '../../common/logger.js';
import { legalSources, type IllegalTransitionPolicy, type InstanceStatus } from '../../common/instance-status.js';
import type { Database } from '../database.js';
import { toInstanceColumns, toInstanceRecord, toInstanceRow, type InstancePatch, type InstanceRecord, type NewInstance } from './instance-record.js';
import { orConflict } from './unique-violation.js';

export type { InstancePatch, InstanceRecord, NewInstance } from './instance-record.js';

export interface InstancesRepoOptions {
  /** Stale writers (debug) and illegal transitions under the `log` policy (error). */
  logger?: Logger;
  /** `throw` in tests: an illegal transition is a bug; `log` in production. */
  illegalTransitions?: IllegalTransitionPolicy;
}

/** What a fleet table shows of an instance (InstancesRepo.listSummary). */
export type InstanceSummaryRecord = Pick<InstanceRecord,
  'id' | 'name' | 'tenant' | 'plan' | 'status' | 'desiredState' | 'hostPort' | 'containerId' | 'restarts' | 'lastCheckAt' | 'lastCheckOk'
  | 'lastError' | 'createdAt' | 'updatedAt'>;

/** What a job needs of its target instances. */
export type InstanceTarget = Pick<InstanceRecord, 'id' | 'name' | 'tenant' | 'plan' | 'containerId' | 'hostPort' | 'status' | 'desiredState'>;

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

  /** Without admission (tests, tools); a taken name or host port is `BerthError('CONFLICT')`. */
  async insert(record: NewInstance): Promise<void> {
    await orConflict('instances', () => this.db.insertInto('instances').values(toInstanceRow(record)).execute());
  }

  async get(id: string): Promise<InstanceRecord | undefined> {
    return one(await this.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst());
  }

  async findByName(name: string): Promise<InstanceRecord | undefined> {
    return one(await this.db.selectFrom('instances').selectAll().where('name', '=', name).executeTakeFirst());
  }

  async findByIdOrName(idOrName: string): Promise<InstanceRecord | undefined> {
    return one(await this.db.selectFrom('instances').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst());
  }

  async list(filter: InstanceFilter): Promise<{ rows: InstanceRecord[]; total: number }> {
    const { query, page } = this.filtered(filter);
    const [rows, count] = await Promise.all([
      page.selectAll().orderBy('created_at').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return { rows: rows.map(toInstanceRecord), total: Number(count?.n ?? 0) };
  }

  /**
   * The same page as `list`, only the columns a fleet table shows: at 500 rows, turning every
   * column (env, health, command as JSON) into objects was most of the list's store time.
   */
  async listSummary(filter: InstanceFilter): Promise<{ rows: InstanceSummaryRecord[]; total: number }> {
    const { query, page } = this.filtered(filter);
    const [rows, count] = await Promise.all([
      page.select(['id', 'name', 'tenant', 'plan', 'status', 'desired_state', 'host_port', 'container_id', 'restarts', 'last_check_at', 'last_check_ok', 'last_error', 'created_at', 'updated_at'])
        .orderBy('created_at').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return {
      rows: rows.map((r) => ({
        id: r.id, name: r.name, tenant: r.tenant, plan: r.plan, status: r.status, desiredState: r.desired_state as InstanceRecord['desiredState'],
        hostPort: r.host_port, containerId: r.container_id, restarts: r.restarts, lastCheckAt: r.last_check_at,
        lastCheckOk: r.last_check_ok === null ? null : r.last_check_ok === 1, lastError: r.last_error, createdAt: r.created_at, updatedAt: r.updated_at,
      })),
      total: Number(count?.n ?? 0),
    };
  }

  /** The filter's rows (`query`, for the count) and the page's (`page`: after the cursor). */
  private filtered(filter: InstanceFilter) {
    let query = this.db.selectFrom('instances');
    if (filter.tenant) query = query.where('tenant', '=', filter.tenant);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.plan) query = query.where('plan', '=', filter.plan);
    const { after } = filter;
    const page = after ? query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])])) : query;
    return { query, page };
  }

  /**
   * A job's targets (never an instance being deleted), in name order: by name or id (`{instance}`),
   * by bound id only (`{instanceId}`), by tenant or by plan; within `tenant` when given.
   */
  async listTargets(target: { instance: string } | { instanceId: string } | { tenant: string } | { plan: string }, withinTenant: string | null = null): Promise<InstanceTarget[]> {
    let query = this.db.selectFrom('instances')
      .select(['id', 'name', 'tenant', 'plan', 'container_id', 'host_port', 'status', 'desired_state'])
      .where('status', '!=', 'deleting');
    if (withinTenant !== null) query = query.where('tenant', '=', withinTenant);
    if ('instanceId' in target) query = query.where('id', '=', target.instanceId);
    else if ('instance' in target) query = query.where((eb) => eb.or([eb('name', '=', target.instance), eb('id', '=', target.instance)]));
    else if ('tenant' in target) query = query.where('tenant', '=', target.tenant);
    else query = query.where('plan', '=', target.plan);
    const rows = await query.orderBy('name').execute();
    return rows.map((r) => ({
      id: r.id, name: r.name, tenant: r.tenant, plan: r.plan, containerId: r.container_id, hostPort: r.host_port, status: r.status,
      desiredState: r.desired_state as InstanceTarget['desiredState'],
    }));
  }

  async listAll(): Promise<InstanceRecord[]> {
    return (await this.db.selectFrom('instances').selectAll().orderBy('created_at').execute()).map(toInstanceRecord);
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
   * A taken host port is `BerthError('CONFLICT')` on `hostPort` (see conflictOn).
   */
  async update(id: string, patch: InstancePatch, onlyIf?: readonly InstanceStatus[]): Promise<boolean> {
    let query = this.db.updateTable('instances')
      .set({ ...toInstanceColumns(patch), updated_at: this.now(), version: sql<number>`version + 1` })
      .where('id', '=', id);
    if (onlyIf) query = query.where('status', 'in', [...onlyIf]);
    const result = await orConflict('instances', () => query.executeTakeFirst());
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
      .set({ ...toInstanceColumns(patch), status: to, updated_at: this.now(), version: sql<number>`version + 1` })
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

const one = (row: Parameters<typeof toInstanceRecord>[0] | undefined): InstanceRecord | undefined => (row ? toInstanceRecord(row) : undefined);
