import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { dbNowMs } from './leases-repo.js';

/**
 * Per-instance locks in the store (Postgres), so two berth processes never act on one instance
 * at once. A lock expires after its TTL unless renewed: a holder that died frees it by itself.
 */
export class InstanceLocksRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Takes the lock if it is free or expired; false when another owner holds it. */
  async tryAcquire(instanceId: string, holder: string, owner: string, ttlMs: number): Promise<boolean> {
    const result = await sql<{ owner: string }>`
      insert into instance_locks as k (instance_id, holder, owner, acquired_at, expires_at)
      values (${instanceId}, ${holder}, ${owner}, ${dbNowMs}, ${dbNowMs} + ${ttlMs})
      on conflict (instance_id) do update set holder = excluded.holder, owner = excluded.owner,
        acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
      where k.expires_at < excluded.acquired_at
      returning k.owner`.execute(this.db);
    return result.rows[0]?.owner === owner;
  }

  /** Extends a held lock; false when it was lost (expired and taken by another owner). */
  async renew(instanceId: string, owner: string, ttlMs: number): Promise<boolean> {
    const result = await sql`update instance_locks set expires_at = ${dbNowMs} + ${ttlMs} where instance_id = ${instanceId} and owner = ${owner}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  async release(instanceId: string, owner: string): Promise<void> {
    await sql`delete from instance_locks where instance_id = ${instanceId} and owner = ${owner}`.execute(this.db);
  }

  /** At boot: locks an earlier run of this same process id left when it died (ids are unique among live processes). */
  async releaseHolder(holder: string): Promise<number> {
    const result = await sql`delete from instance_locks where holder = ${holder}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Who holds the lock now (for the 409's message), if anyone. */
  async holderOf(instanceId: string): Promise<string | undefined> {
    const result = await sql<{ holder: string }>`select holder from instance_locks where instance_id = ${instanceId} and expires_at >= ${dbNowMs}`.execute(this.db);
    return result.rows[0]?.holder;
  }
}
