import type { Kysely, Migration } from 'kysely';

/** snapshots: workspace copies (a tar file each) with their size and sha256; they outlive the instance. */
export function snapshotsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('snapshots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('instance_name', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint')
        .addColumn('sha256', 'text')
        .addColumn('pause_ms', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute();
      await db.schema.createIndex('snapshots_instance_idx').on('snapshots').columns(['instance_id', 'created_at']).execute();
      await db.schema.createIndex('snapshots_tenant_idx').on('snapshots').columns(['tenant', 'created_at']).execute();
    },
  };
}
