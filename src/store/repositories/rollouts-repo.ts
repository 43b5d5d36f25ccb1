import type { Kysely, Selectable, Updateable } from 'kysely';
import type { FailureAction, Rollout, RolloutItem, RolloutItemStatus, RolloutSelector, RolloutStatus } from './upgrade-records.js';
import type { Database, RolloutItemsTable, RolloutsTable } from '../database.js';

function toRollout(r: Selectable<RolloutsTable>): Rollout {
  return {
    id: r.id, tenant: r.tenant, selector: JSON.parse(r.selector) as RolloutSelector, patch: JSON.parse(r.patch) as Rollout['patch'],
    secretsSealed: r.secrets_sealed, maxParallel: Number(r.max_parallel), maxFailures: Number(r.max_failures),
    healthTimeoutSeconds: Number(r.health_timeout_seconds), failureAction: r.failure_action as FailureAction, status: r.status as RolloutStatus,
    message: r.message, actor: r.actor, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function toItem(r: Selectable<RolloutItemsTable>): RolloutItem {
  return {
    instanceId: r.instance_id, instance: r.instance_name, tenant: r.tenant, position: Number(r.position), status: r.status as RolloutItemStatus,
    upgradeId: r.upgrade_id, revision: r.revision === null ? null : Number(r.revision), message: r.message, startedAt: r.started_at, endedAt: r.ended_at,
  };
}

export type RolloutItemChange = Partial<Pick<RolloutItem, 'status' | 'upgradeId' | 'revision' | 'message' | 'startedAt' | 'endedAt'>>;

/** Fleet rollouts and their per-instance items, kept so a restarted berth continues them. */
export class RolloutsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The rollout and all its items in one transaction: none is half-written. */
  async insert(r: Rollout, items: RolloutItem[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('rollouts').values({
        id: r.id, tenant: r.tenant, selector: JSON.stringify(r.selector), patch: JSON.stringify(r.patch), secrets_sealed: r.secretsSealed,
        max_parallel: r.maxParallel, max_failures: r.maxFailures, health_timeout_seconds: r.healthTimeoutSeconds, failure_action: r.failureAction,
        status: r.status, message: r.message, actor: r.actor, created_at: r.createdAt, updated_at: r.updatedAt,
      }).execute();
      for (let i = 0; i < items.length; i += 200) {
        await trx.insertInto('rollout_items').values(items.slice(i, i + 200).map((it) => ({
          rollout_id: r.id, instance_id: it.instanceId, instance_name: it.instance, tenant: it.tenant, position: it.position, status: it.status,
          upgrade_id: it.upgradeId, revision: it.revision, message: it.message, started_at: it.startedAt, ended_at: it.endedAt,
        }))).execute();
      }
    });
  }

  async get(id: string): Promise<Rollout | undefined> {
    const row = await this.db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRollout(row) : undefined;
  }

  /** Newest first; within `tenant` when given. */
  async list(filter: { tenant?: string; status?: RolloutStatus; limit: number }): Promise<Rollout[]> {
    let q = this.db.selectFrom('rollouts').selectAll();
    if (filter.tenant) q = q.where('tenant', '=', filter.tenant);
    if (filter.status) q = q.where('status', '=', filter.status);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()).map(toRollout);
  }

  async items(id: string): Promise<RolloutItem[]> {
    return (await this.db.selectFrom('rollout_items').selectAll().where('rollout_id', '=', id).orderBy('position').execute()).map(toItem);
  }

  /** Moves the rollout to `to` if it is in one of `from`; false when it had moved on. */
  async setStatus(id: string, from: readonly RolloutStatus[], to: RolloutStatus, message: string | null, now: string): Promise<boolean> {
    const r = await this.db.updateTable('rollouts').set({ status: to, message, updated_at: now }).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async updateItem(id: string, instanceId: string, change: RolloutItemChange, onlyIf?: readonly RolloutItemStatus[]): Promise<boolean> {
    const set: Updateable<RolloutItemsTable> = {};
    if (change.status !== undefined) set.status = change.status;
    if (change.upgradeId !== undefined) set.upgrade_id = change.upgradeId;
    if (change.revision !== undefined) set.revision = change.revision;
    if (change.message !== undefined) set.message = change.message;
    if (change.startedAt !== undefined) set.started_at = change.startedAt;
    if (change.endedAt !== undefined) set.ended_at = change.endedAt;
    let q = this.db.updateTable('rollout_items').set(set).where('rollout_id', '=', id).where('instance_id', '=', instanceId);
    if (onlyIf) q = q.where('status', 'in', [...onlyIf]);
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
  }

  /** Every pending item of a rollout becomes `to` (cancel). */
  async settlePending(id: string, to: RolloutItemStatus, message: string, now: string): Promise<void> {
    await this.db.updateTable('rollout_items').set({ status: to, message, ended_at: now }).where('rollout_id', '=', id).where('status', '=', 'pending').execute();
  }
}
