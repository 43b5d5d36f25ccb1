import type { Kysely, Migration } from 'kysely';

/** instances.scan_dir: the s6 scan directory an instance asked for at create (null: none). */
export function instanceScanDirMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('instances').addColumn('scan_dir', 'text').execute();
    },
  };
}
