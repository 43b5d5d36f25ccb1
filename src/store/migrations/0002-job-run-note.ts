import type { Kysely, Migration } from 'kysely';

/** job_runs.note: why a run was skipped or failed as a whole (no target matched, overlap, abandoned). */
export function jobRunNoteMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('job_runs').addColumn('note', 'text').execute();
      // The scheduler asks "is a run of this job still going?" on every due slot.
      await db.schema.createIndex('job_runs_status_idx').on('job_runs').columns(['job_id', 'status']).execute();
    },
  };
}
