import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database.js';

/** The database's clock in epoch ms (Postgres): every process judges expiry by the same clock. */
export const dbNowMs: RawBuilder<number> = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** The lease as a process may hold it: its fencing token is what state writes check. */
export interface LeaseFence {
  name: string;
  token: number;
}

export interface LeaseState {
  name: string;
  holder: string;
  holderNonce: string;
  token: number;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
  /** The database's clock when this was read (ms). */
  dbNow: number;
}

interface LeaseRow {
  name: string;
  holder: string;
  holder_nonce: string;
  token: string | number;
  acquired_at: string | number;
  renewed_at: string | number;
  expires_at: string | number;
  db_now: string | number;
}

const toLease = (r: LeaseRow): LeaseState => ({
  name: r.name, holder: r.holder, holderNonce: r.holder_nonce, token: Number(r.token),
  acquiredAt: Number(r.acquired_at), renewedAt: Number(r.renewed_at), expiresAt: Number(r.expires_at), dbNow: Number(r.db_now),
});

/**
 * Named leases on Postgres. One statement acquires or renews: it takes a free or expired lease
 * (bumping the fencing token), or renews this holder's own unexpired one, and reports nothing
 * when another holder has it. A holder name seen again with a new nonce is that process started
 * again (process ids are unique among live processes), so it takes the lease back at once.
 */
export class LeasesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async acquireOrRenew(name: string, holder: string, nonce: string, leaseMs: number): Promise<LeaseState | undefined> {
    const result = await sql<LeaseRow>`
      insert into leases as l (name, holder, holder_nonce, token, acquired_at, renewed_at, expires_at)
      values (${name}, ${holder}, ${nonce}, 1, ${dbNowMs}, ${dbNowMs}, ${dbNowMs} + ${leaseMs})
      on conflict (name) do update set
        token = case when l.holder_nonce = excluded.holder_nonce then l.token else l.token + 1 end,
        acquired_at = case when l.holder_nonce = excluded.holder_nonce then l.acquired_at else excluded.acquired_at end,
        holder = excluded.holder, holder_nonce = excluded.holder_nonce,
        renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
      where l.holder_nonce = excluded.holder_nonce or l.expires_at < excluded.renewed_at
        -- The same process id with a new nonce: this process started again; its old run is dead.
        or l.holder = excluded.holder
      returning l.*, ${dbNowMs} as db_now`.execute(this.db);
    const row = result.rows[0];
    return row ? toLease(row) : undefined;
  }

  async get(name: string): Promise<LeaseState | undefined> {
    const result = await sql<LeaseRow>`select l.*, ${dbNowMs} as db_now from leases l where name = ${name}`.execute(this.db);
    const row = result.rows[0];
    return row ? toLease(row) : undefined;
  }

  /** Gives the lease up at once (graceful stop), so a peer need not wait for it to expire. */
  async release(name: string, nonce: string): Promise<void> {
    await sql`update leases set expires_at = 0 where name = ${name} and holder_nonce = ${nonce}`.execute(this.db);
  }
}

/** `exists (…)`: the fence still holds (same token, unexpired by the database's clock); for a state write's WHERE. */
export function fenceHolds(fence: LeaseFence): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from leases where name = ${fence.name} and token = ${fence.token} and expires_at > ${dbNowMs})`;
}
