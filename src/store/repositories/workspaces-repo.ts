import type { Kysely, Selectable } from 'kysely';
import type { Database, WorkspacesTable } from '../database.js';

export type WorkspaceRow = Selectable<WorkspacesTable>;

/** Kept workspaces: volumes left by `DELETE ?keepData=true`, each with an id and its tenant. */
export class WorkspacesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a kept workspace (again: the same volume keeps its id). */
  async keep(row: WorkspaceRow): Promise<void> {
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

  get(id: string): Promise<WorkspaceRow | undefined> {
    return this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Every kept workspace, or one tenant's. */
  list(tenant?: string): Promise<WorkspaceRow[]> {
    let query = this.db.selectFrom('workspaces').selectAll();
    if (tenant !== undefined) query = query.where('tenant', '=', tenant);
    return query.orderBy('kept_at', 'desc').orderBy('id').execute();
  }

  /** Removes the record; false when it was already gone (attached or deleted meanwhile). */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
