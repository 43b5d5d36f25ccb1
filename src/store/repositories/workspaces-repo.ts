import type { Kysely, Selectable } from 'kysely';
import type { Database, WorkspacesTable } from '../database.js';

/** A workspace kept by `DELETE /v1/instances/{i}?keepData=true`. */
export interface WorkspaceRecord {
  id: string;
  /** Null only for workspaces kept before tenants were recorded (admin only). */
  tenant: string | null;
  volume: string;
  /** The instance it was the workspace of. */
  instanceId: string | null;
  instanceName: string | null;
  keptAt: string;
}

function toWorkspaceRecord(row: Selectable<WorkspacesTable>): WorkspaceRecord {
  return { id: row.id, tenant: row.tenant, volume: row.volume, instanceId: row.instance_id, instanceName: row.instance_name, keptAt: row.kept_at };
}

/** Kept workspaces: volumes left by `DELETE ?keepData=true`, each with an id and its tenant. */
export class WorkspacesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a kept workspace (again: the same volume keeps its id). */
  async keep(w: WorkspaceRecord): Promise<void> {
    const row = { id: w.id, tenant: w.tenant, volume: w.volume, instance_id: w.instanceId, instance_name: w.instanceName, kept_at: w.keptAt };
    await this.db.insertInto('workspaces').values(row)
      .onConflict((oc) => oc.column('volume').doNothing()).execute();
  }

  async unkeepVolume(volume: string): Promise<void> {
    await this.db.deleteFrom('workspaces').where('volume', '=', volume).execute();
  }

  async isKept(volume: string): Promise<boolean> {
    return (await this.db.selectFrom('workspaces').select('id').where('volume', '=', volume).executeTakeFirst()) !== undefined;
  }

  async keptVolumes(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('workspaces').select('volume').execute();
    return new Set(rows.map((r) => r.volume));
  }

  async get(id: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toWorkspaceRecord(row) : undefined;
  }

  /** Every kept workspace, or one tenant's. */
  async list(tenant?: string): Promise<WorkspaceRecord[]> {
    let query = this.db.selectFrom('workspaces').selectAll();
    if (tenant !== undefined) query = query.where('tenant', '=', tenant);
    return (await query.orderBy('kept_at', 'desc').orderBy('id').execute()).map(toWorkspaceRecord);
  }

  /** Removes the record; false when it was already gone (attached or deleted meanwhile). */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
