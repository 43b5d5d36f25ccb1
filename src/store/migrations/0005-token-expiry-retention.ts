import type { Kysely, Migration } from 'kysely';

/** tokens.expires_at (null: never); indexes for pruning events and job runs by age. */
export function tokenExpiryRetentionMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tokens').addColumn('expires_at', 'text').execute();
      await db.schema.createIndex('events_at_idx').on('events').column('at').execute();
      await db.schema.createIndex('job_runs_started_idx').on('job_runs').column('started_at').execute();
    },
  };
}
