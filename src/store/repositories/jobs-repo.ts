import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database, JobRunsTable, JobsTable } from '../database.js';
import type { StoreDialect } from '../store-dialect.js';
import { insertEvents, type NewEvent } from './events-repo.js';

export type JobRow = Selectable<JobsTable>;
export type JobRunRow = Selectable<JobRunsTable>;
export type JobPatch = Omit<Updateable<JobsTable>, 'id' | 'created_at'>;

export interface RunFinish {
  status: string;
  ended_at: string;
  results: string;
  note: string | null;
}

/** Enabled jobs bound to this instance id (targets are JSON written by berth, ids are alphanumeric). */
function enabledTargeting(trx: Transaction<Database>, instanceId: string): Promise<JobRow[]> {
  return trx.selectFrom('jobs').selectAll()
    .where('enabled', '=', 1).where('target', 'like', `%"instanceId":"${instanceId.replace(/[^\w]/g, '')}"%`).execute();
}

/** Jobs and their runs. Claiming a slot is inserting its run row: (job_id, slot) is unique. */
export class JobsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: StoreDialect = 'sqlite') {}

  async insert(row: JobRow): Promise<void> {
    await this.db.insertInto('jobs').values(row).execute();
  }

  findByIdOrName(idOrName: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
  }

  async list(filter: { tenant?: string; limit: number; offset: number }): Promise<{ rows: JobRow[]; total: number }> {
    let query = this.db.selectFrom('jobs');
    if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('name').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return { rows, total: Number(count?.n ?? 0) };
  }

  listEnabled(): Promise<JobRow[]> {
    return this.db.selectFrom('jobs').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  }

  async update(id: string, patch: JobPatch): Promise<boolean> {
    const result = await this.db.updateTable('jobs').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Moves next_run_at on only if it still holds `from`: whoever handled the slot first wins, the rest no-op. */
  async advance(id: string, from: string, to: string | null): Promise<boolean> {
    const result = await this.db.updateTable('jobs').set({ next_run_at: to })
      .where('id', '=', id).where('next_run_at', '=', from).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Disables the enabled jobs bound to this instance id and inserts the event each one gets in
   * the same transaction: whoever sees a job disabled also sees why. Returns the events written.
   */
  async disableTargeting(instanceId: string, eventsFor: (jobs: JobRow[]) => NewEvent[]): Promise<NewEvent[]> {
    return this.db.transaction().execute(async (trx) => {
      const jobs = await enabledTargeting(trx, instanceId);
      if (!jobs.length) return [];
      await trx.updateTable('jobs').set({ enabled: 0, next_run_at: null })
        .where('id', 'in', jobs.map((j) => j.id)).where('enabled', '=', 1).execute();
      const events = eventsFor(jobs);
      await insertEvents(trx, this.dialect, events);
      return events;
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('job_runs').where('job_id', '=', id).execute();
      const result = await trx.deleteFrom('jobs').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /**
   * Claims a slot by inserting its run row. False when another process (or an earlier tick)
   * already holds that slot: the unique (job_id, slot) constraint makes the claim atomic on
   * SQLite and Postgres alike.
   */
  async claim(run: JobRunRow): Promise<boolean> {
    const result = await this.db.insertInto('job_runs').values(run)
      .onConflict((oc) => oc.columns(['job_id', 'slot']).doNothing())
      .executeTakeFirst();
    const claimed = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (claimed) await this.db.updateTable('jobs').set({ last_run_at: run.started_at }).where('id', '=', run.job_id).execute();
    return claimed;
  }

  async finish(runId: string, finish: RunFinish): Promise<void> {
    await this.db.updateTable('job_runs').set(finish).where('id', '=', runId).where('status', '=', 'running').execute();
  }

  /** A run of this job still going, started after `liveSince` (older running rows were abandoned). */
  async hasRunning(jobId: string, liveSince: string): Promise<boolean> {
    const row = await this.db.selectFrom('job_runs').select('id')
      .where('job_id', '=', jobId).where('status', '=', 'running').where('started_at', '>=', liveSince)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Ends runs left `running` by a berth that died mid-run (they can no longer be going). */
  async abandon(jobId: string, startedBefore: string, at: string, note: string): Promise<number> {
    const result = await this.db.updateTable('job_runs').set({ status: 'failed', ended_at: at, note })
      .where('job_id', '=', jobId).where('status', '=', 'running').where('started_at', '<', startedBefore)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  getRun(runId: string): Promise<JobRunRow | undefined> {
    return this.db.selectFrom('job_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  }

  /** Newest first. */
  async listRuns(jobId: string, page: { limit: number; offset: number; status?: string }): Promise<{ rows: JobRunRow[]; total: number }> {
    let query = this.db.selectFrom('job_runs').where('job_id', '=', jobId);
    if (page.status) query = query.where('status', '=', page.status);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    ]);
    return { rows, total: Number(count?.n ?? 0) };
  }
}
