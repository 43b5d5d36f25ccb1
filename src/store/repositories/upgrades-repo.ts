import type { Kysely, Selectable, Updateable } from 'kysely';
import type { FailureAction, Upgrade, UpgradeKind, UpgradePhase, UpgradeStatus } from './upgrade-records.js';
import type { Database, InstanceUpgradesTable } from '../database.js';

type UpgradeRow = Selectable<InstanceUpgradesTable>;

function toUpgrade(r: UpgradeRow): Upgrade {
  return {
    id: r.id, instanceId: r.instance_id, tenant: r.tenant, rolloutId: r.rollout_id, kind: r.kind as UpgradeKind,
    fromRevision: Number(r.from_revision), toRevision: Number(r.to_revision), status: r.status as UpgradeStatus, phase: r.phase as UpgradePhase,
    oldContainerId: r.old_container_id, newContainerId: r.new_container_id, healthTimeoutSeconds: Number(r.health_timeout_seconds),
    failureAction: r.failure_action as FailureAction, actor: r.actor, message: r.message,
    downtimeMs: r.downtime_ms === null ? null : Number(r.downtime_ms), createdAt: r.created_at, startedAt: r.started_at, endedAt: r.ended_at,
  };
}

export type UpgradeChange = Partial<Pick<Upgrade, 'status' | 'phase' | 'oldContainerId' | 'newContainerId' | 'message' | 'downtimeMs' | 'startedAt' | 'endedAt'>>;

function toColumns(c: UpgradeChange): Updateable<InstanceUpgradesTable> {
  const out: Updateable<InstanceUpgradesTable> = {};
  if (c.status !== undefined) out.status = c.status;
  if (c.phase !== undefined) out.phase = c.phase;
  if (c.oldContainerId !== undefined) out.old_container_id = c.oldContainerId;
  if (c.newContainerId !== undefined) out.new_container_id = c.newContainerId;
  if (c.message !== undefined) out.message = c.message;
  if (c.downtimeMs !== undefined) out.downtime_ms = c.downtimeMs;
  if (c.startedAt !== undefined) out.started_at = c.startedAt;
  if (c.endedAt !== undefined) out.ended_at = c.endedAt;
  return out;
}

/** Upgrade attempts: the queue (pending), the one in progress (running, with its phase) and their outcomes. */
export class UpgradesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(u: Upgrade): Promise<void> {
    await this.db.insertInto('instance_upgrades').values({
      id: u.id, instance_id: u.instanceId, tenant: u.tenant, rollout_id: u.rolloutId, kind: u.kind, from_revision: u.fromRevision,
      to_revision: u.toRevision, status: u.status, phase: u.phase, old_container_id: u.oldContainerId, new_container_id: u.newContainerId,
      health_timeout_seconds: u.healthTimeoutSeconds, failure_action: u.failureAction, actor: u.actor, message: u.message,
      downtime_ms: u.downtimeMs, created_at: u.createdAt, started_at: u.startedAt, ended_at: u.endedAt,
    }).execute();
  }

  async get(id: string): Promise<Upgrade | undefined> {
    const row = await this.db.selectFrom('instance_upgrades').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUpgrade(row) : undefined;
  }

  /** Applies `change` if the upgrade is still in one of `onlyIf` (any status when omitted). */
  async update(id: string, change: UpgradeChange, onlyIf?: readonly UpgradeStatus[]): Promise<boolean> {
    let q = this.db.updateTable('instance_upgrades').set(toColumns(change)).where('id', '=', id);
    if (onlyIf) q = q.where('status', 'in', [...onlyIf]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The instance's unfinished upgrade (pending or running), if any. */
  async activeFor(instanceId: string): Promise<Upgrade | undefined> {
    const row = await this.db.selectFrom('instance_upgrades').selectAll().where('instance_id', '=', instanceId)
      .where('status', 'in', ['pending', 'running']).orderBy('created_at').executeTakeFirst();
    return row ? toUpgrade(row) : undefined;
  }

  /** Unfinished upgrades of every instance, oldest first (resumed at boot). */
  async unfinished(): Promise<Upgrade[]> {
    const rows = await this.db.selectFrom('instance_upgrades').selectAll().where('status', 'in', ['pending', 'running']).orderBy('created_at').execute();
    return rows.map(toUpgrade);
  }

  /** The upgrade a fleet rollout made for an instance, if any (newest). */
  async ofRollout(rolloutId: string, instanceId: string): Promise<Upgrade | undefined> {
    const row = await this.db.selectFrom('instance_upgrades').selectAll().where('rollout_id', '=', rolloutId).where('instance_id', '=', instanceId)
      .orderBy('created_at', 'desc').executeTakeFirst();
    return row ? toUpgrade(row) : undefined;
  }

  /** Newest first. */
  async listFor(instanceId: string, limit = 20): Promise<Upgrade[]> {
    const rows = await this.db.selectFrom('instance_upgrades').selectAll().where('instance_id', '=', instanceId).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map(toUpgrade);
  }
}
