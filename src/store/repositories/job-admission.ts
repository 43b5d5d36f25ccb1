import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database.js';
import type { StoreDialect } from '../store-dialect.js';
import type { JobPatch, JobRow } from './jobs-repo.js';

/**
 * Inserts a job row atomically with its tenant's job count, like InstanceAdmission does for
 * instances: the count and the insert are one transaction, serialized per tenant (SQLite:
 * BEGIN IMMEDIATE holds the write lock; Postgres: a per-tenant advisory lock), so concurrent
 * creates cannot both pass maxJobs.
 */
export class JobAdmission {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: StoreDialect) {}

  /** `check` sees the tenant's job count inside the transaction and throws to refuse. */
  async insert(row: JobRow, check?: (jobs: number) => void): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (check && row.tenant !== null) {
        await this.lockTenant(trx, row.tenant);
        const count = await trx.selectFrom('jobs').select((eb) => eb.fn.countAll<number | string>().as('n')).where('tenant', '=', row.tenant).executeTakeFirst();
        check(Number(count?.n ?? 0));
      }
      await trx.insertInto('jobs').values(row).execute();
    });
  }

  /** Moves a job to another tenant (PATCH of its target): the same check, against the new tenant's count. */
  async update(id: string, patch: JobPatch, check?: (jobs: number) => void): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const tenant = patch.tenant;
      if (check && typeof tenant === 'string') {
        await this.lockTenant(trx, tenant);
        const count = await trx.selectFrom('jobs').select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('tenant', '=', tenant).where('id', '!=', id).executeTakeFirst();
        check(Number(count?.n ?? 0));
      }
      await trx.updateTable('jobs').set(patch).where('id', '=', id).execute();
    });
  }

  private async lockTenant(trx: Transaction<Database>, tenant: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtext(${`berth.tenant-jobs:${tenant}`}))`.execute(trx);
  }
}
