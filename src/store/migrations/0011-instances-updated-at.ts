import type { Kysely, Migration } from 'kysely';

/** The monitor's incremental sync reads instances changed since its last read, every second. */
export function instancesUpdatedAtMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('instances_updated_at').ifNotExists().on('instances').column('updated_at').execute();
    },
  };
}
