import type { Kysely, Selectable } from 'kysely';
import type { Snapshot, SnapshotMode, SnapshotStatus, SnapshotTrigger } from './snapshot-records.js';
import type { Database, SnapshotsTable } from '../database.js';

function toSnapshot(row: Selectable<SnapshotsTable>): Snapshot {
  return {
    id: row.id,
    instanceId: row.instance_id,
    instance: row.instance_name,
    tenant: row.tenant,
    status: row.status as SnapshotStatus,
    trigger: row.trigger as SnapshotTrigger,
    mode: row.mode as SnapshotMode,
    file: row.file,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    pauseMs: row.pause_ms,
    actor: row.actor,
    error: row.error,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

export interface SnapshotFilter {
  tenant?: string;
  instanceId?: string;
  status?: SnapshotStatus;
  triggers?: SnapshotTrigger[];
}

/** Snapshot records; the tar files themselves live under the snapshot dir (see SnapshotFiles). */
export class SnapshotsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: Pick<Snapshot, 'id' | 'instanceId' | 'instance' | 'tenant' | 'trigger' | 'mode' | 'file' | 'actor' | 'createdAt'>): Promise<Snapshot> {
    const row = {
      id: s.id, instance_id: s.instanceId, instance_name: s.instance, tenant: s.tenant, status: 'creating', trigger: s.trigger, mode: s.mode,
      file: s.file, size_bytes: null, sha256: null, pause_ms: null, actor: s.actor, error: null, created_at: s.createdAt, completed_at: null,
    };
    await this.db.insertInto('snapshots').values(row).execute();
    return toSnapshot(row);
  }

  async complete(id: string, done: { sizeBytes: number; sha256: string; pauseMs: number; completedAt: string }): Promise<void> {
    await this.db.updateTable('snapshots')
      .set({ status: 'ready', size_bytes: done.sizeBytes, sha256: done.sha256, pause_ms: done.pauseMs, completed_at: done.completedAt })
      .where('id', '=', id).execute();
  }

  async fail(id: string, error: string, completedAt: string, pauseMs: number | null): Promise<void> {
    await this.db.updateTable('snapshots').set({ status: 'failed', error, completed_at: completedAt, pause_ms: pauseMs }).where('id', '=', id).execute();
  }

  async get(id: string): Promise<Snapshot | undefined> {
    const row = await this.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSnapshot(row) : undefined;
  }

  /** Newest first. */
  async list(filter: SnapshotFilter): Promise<Snapshot[]> {
    let q = this.db.selectFrom('snapshots').selectAll();
    if (filter.tenant !== undefined) q = q.where('tenant', '=', filter.tenant);
    if (filter.instanceId !== undefined) q = q.where('instance_id', '=', filter.instanceId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.triggers !== undefined) q = q.where('trigger', 'in', filter.triggers);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toSnapshot);
  }

  /** Removes the record; false when it was already gone. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('snapshots').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
