import type { Kysely, Migration } from 'kysely';

/** tenant_limits: the admin's per-tenant overrides of config tenants.defaults (JSON of the keys set). */
export function tenantLimitsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tenant_limits')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('limits', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
