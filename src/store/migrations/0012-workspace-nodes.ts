import type { Kysely, Migration } from 'kysely';

/** workspace_nodes: the cluster node that holds each workspace volume, recorded at its first placement. */
export function workspaceNodesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createTable('workspace_nodes')
        .addColumn('volume', 'text', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('placed_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('workspace_nodes').execute();
    },
  };
}
