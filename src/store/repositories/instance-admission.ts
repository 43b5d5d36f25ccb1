import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database.js';
import type { StoreDialect } from '../store-dialect.js';
import { toInstanceRow, type NewInstance } from './instance-record.js';
import { orConflict } from './unique-violation.js';

/** What a tenant holds right now, as the admission check sees it inside its transaction. */
export interface TenantHoldings {
  /** The plan of each of the tenant's instances (deleting ones too: they still hold resources). */
  plans: string[];
}

export interface AdmitOptions {
  /** Throws to refuse; sees the tenant's holdings inside the same transaction as the insert. */
  check?: (holdings: TenantHoldings) => void;
  /** A kept workspace to attach: its record is removed in the same transaction, or nothing is inserted. */
  attachWorkspace?: { id: string; tenant: string | null };
  /** Thrown (made by the caller) when the kept workspace was attached or removed meanwhile. */
  workspaceGone?: () => Error;
}

/**
 * Inserts an instance row atomically with its admission: counting the tenant's instances,
 * claiming a kept workspace and the insert are one transaction, serialized per tenant (SQLite:
 * BEGIN IMMEDIATE holds the write lock; Postgres: a per-tenant advisory lock), so concurrent
 * creates cannot both pass a limit and a failed insert leaves a kept workspace kept.
 */
export class InstanceAdmission {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: StoreDialect) {}

  /** A taken name or host port is `BerthError('CONFLICT')` on `name` or `hostPort` (see conflictOn). */
  async insert(record: NewInstance, options: AdmitOptions = {}): Promise<void> {
    const row = toInstanceRow(record);
    await orConflict('instances', () => this.db.transaction().execute(async (trx) => {
      await this.lockTenant(trx, row.tenant);
      if (options.check) {
        const held = await trx.selectFrom('instances').select('plan').where('tenant', '=', row.tenant).execute();
        options.check({ plans: held.map((r) => r.plan) });
      }
      if (options.attachWorkspace) {
        let claim = trx.deleteFrom('workspaces').where('id', '=', options.attachWorkspace.id);
        claim = options.attachWorkspace.tenant === null ? claim.where('tenant', 'is', null) : claim.where('tenant', '=', options.attachWorkspace.tenant);
        const claimed = await claim.executeTakeFirst();
        if (Number(claimed.numDeletedRows) !== 1) throw options.workspaceGone?.() ?? new Error(`workspace ${options.attachWorkspace.id} is no longer kept`);
      }
      await trx.insertInto('instances').values(row).execute();
    }));
  }

  private async lockTenant(trx: Transaction<Database>, tenant: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtext(${`berth.tenant:${tenant}`}))`.execute(trx);
  }
}
