import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/** Deletes old history in small batches: each call removes at most `batch` rows and says how many. */
export class RetentionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async eventsOlderThan(cutoffIso: string, batch: number): Promise<number> {
    const ids = this.db.selectFrom('events').select('id').where('at', '<', cutoffIso).orderBy('id').limit(batch);
    const result = await this.db.deleteFrom('events').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Keeps the newest `keep` events. */
  async eventsBeyond(keep: number, batch: number): Promise<number> {
    const edge = await this.db.selectFrom('events').select('id').orderBy('id', 'desc').offset(keep).limit(1).executeTakeFirst();
    if (!edge) return 0;
    const ids = this.db.selectFrom('events').select('id').where('id', '<=', edge.id).orderBy('id').limit(batch);
    const result = await this.db.deleteFrom('events').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Finished runs (with their captured output) started before the cutoff. */
  async runsOlderThan(cutoffIso: string, batch: number): Promise<number> {
    const ids = this.db.selectFrom('job_runs').select('id').where('started_at', '<', cutoffIso).where('status', '!=', 'running').orderBy('started_at').limit(batch);
    const result = await this.db.deleteFrom('job_runs').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Keeps the newest `keep` finished runs over all jobs. */
  async runsBeyond(keep: number, batch: number): Promise<number> {
    const edge = await this.db.selectFrom('job_runs').select('started_at').where('status', '!=', 'running').orderBy('started_at', 'desc').offset(keep).limit(1).executeTakeFirst();
    if (!edge) return 0;
    const ids = this.db.selectFrom('job_runs').select('id').where('started_at', '<=', edge.started_at).where('status', '!=', 'running').orderBy('started_at').limit(batch);
    const result = await this.db.deleteFrom('job_runs').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
