import type { Kysely, Selectable } from 'kysely';
import type { Revision, RevisionSpec } from './upgrade-records.js';
import type { Database, InstanceRevisionsTable } from '../database.js';
import { uniqueViolation } from './unique-violation.js';

type RevisionRow = Selectable<InstanceRevisionsTable>;

function toRevision(row: RevisionRow): Revision {
  return {
    instanceId: row.instance_id,
    revision: Number(row.revision),
    tenant: row.tenant,
    spec: JSON.parse(row.spec) as RevisionSpec,
    secretsSealed: row.secrets_sealed,
    changed: JSON.parse(row.changed) as string[],
    actor: row.actor,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

/** Numbered spec revisions per instance (immutable once written). */
export class RevisionsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes a revision; false when that number exists already (a concurrent writer took it). */
  async insert(r: Revision): Promise<boolean> {
    try {
      await this.db.insertInto('instance_revisions').values({
        instance_id: r.instanceId, revision: r.revision, tenant: r.tenant, spec: JSON.stringify(r.spec), secrets_sealed: r.secretsSealed,
        changed: JSON.stringify(r.changed), actor: r.actor, reason: r.reason, created_at: r.createdAt,
      }).execute();
      return true;
    } catch (error) {
      if (uniqueViolation(error)) return false;
      throw error;
    }
  }

  async get(instanceId: string, revision: number): Promise<Revision | undefined> {
    const row = await this.db.selectFrom('instance_revisions').selectAll().where('instance_id', '=', instanceId).where('revision', '=', revision).executeTakeFirst();
    return row ? toRevision(row) : undefined;
  }

  /** Newest first. */
  async list(instanceId: string, limit = 100): Promise<Revision[]> {
    const rows = await this.db.selectFrom('instance_revisions').selectAll().where('instance_id', '=', instanceId).orderBy('revision', 'desc').limit(limit).execute();
    return rows.map(toRevision);
  }

  async latest(instanceId: string): Promise<number> {
    const row = await this.db.selectFrom('instance_revisions').select((eb) => eb.fn.max('revision').as('n')).where('instance_id', '=', instanceId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Revisions of instances that are gone (their sealed secrets go with them); returns how many. */
  async deleteOrphans(): Promise<number> {
    const r = await this.db.deleteFrom('instance_revisions')
      .where('instance_id', 'not in', (eb) => eb.selectFrom('instances').select('id')).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** The plans a tenant's instances hold (for a plan change's quota check). */
  async tenantPlans(tenant: string): Promise<Array<{ id: string; plan: string }>> {
    return this.db.selectFrom('instances').select(['id', 'plan']).where('tenant', '=', tenant).execute();
  }
}
