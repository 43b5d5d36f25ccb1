import type { Kysely, Migration } from 'kysely';

/**
 * Several berths on one Postgres store: `leases` (leadership, with a fencing token bumped on
 * every change of holder), `instance_locks` (one API action per instance across processes) and
 * `instances.restarted_by` (which process made the last policy restart). Times are epoch ms
 * taken from the database's clock, so the processes' clocks never have to agree.
 */
export function leasesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('holder_nonce', 'text', (c) => c.notNull())
        .addColumn('token', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('renewed_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createTable('instance_locks')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('instances').addColumn('restarted_by', 'text').execute();
    },
  };
}
