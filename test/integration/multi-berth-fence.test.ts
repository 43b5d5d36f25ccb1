import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { createPgDatabase } from '../helpers/databases.js';
import { unsafeDbForTests } from '../helpers/store-db.js';

// The store side of several berths (Postgres only, project `multi`): the lease statement, the
// fencing token on monitor writes, and the instance locks, on a real database.
const at = '2026-01-01T00:00:00.000Z';
const row = {
  id: 'ins_fence', name: 'fence', tenant: 'acme', plan: 'starter', image: 'img', command: null, env: '{}', secrets_sealed: null,
  secret_names: '[]', container_port: 8080, host_port: 30_500, health: '{}', spec_hash: 'h', desired_state: 'running',
  status: 'running' as const, container_id: 'c1', network_name: null, created_at: at, updated_at: at,
};

describe('leases, fencing and instance locks on Postgres', () => {
  let store: Store;
  let drop: () => Promise<void>;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'berth-fence-'));
    const db = await createPgDatabase();
    drop = db.drop;
    store = openStore({ url: db.url, dataDir });
    await store.migrate();
    await unsafeDbForTests(store).insertInto('instances').values(row).execute();
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a takeover bumps the token; the old leader\'s writes and renewals fail even before it notices', async () => {
    const leases = store.repos.leases;
    const a = await leases.acquireOrRenew('leader:s', 'berth-a', 'nonce-a', 60_000);
    expect(a).toMatchObject({ holder: 'berth-a', token: 1 });
    // b cannot take an unexpired lease; a renews its own (same token).
    expect(await leases.acquireOrRenew('leader:s', 'berth-b', 'nonce-b', 60_000)).toBeUndefined();
    expect(await leases.acquireOrRenew('leader:s', 'berth-a', 'nonce-a', 60_000)).toMatchObject({ token: 1 });

    const asA = store.repos.monitorFor({ fence: { name: 'leader:s', token: 1 }, processId: 'berth-a' });
    expect(await asA.patch(row.id, 'c1', ['running'], { lastError: 'from a', incrementRestarts: true })).toBe(true);
    expect((await unsafeDbForTests(store).selectFrom('instances').select(['restarts', 'restarted_by']).where('id', '=', row.id).executeTakeFirstOrThrow()))
      .toEqual({ restarts: 1, restarted_by: 'berth-a' });

    // a is "paused": its lease runs out by the database's clock, and b takes it over.
    await unsafeDbForTests(store).updateTable('leases').set({ expires_at: 0 }).where('name', '=', 'leader:s').execute();
    // Expired but not yet taken: a's fenced write already fails.
    expect(await asA.patch(row.id, 'c1', ['running'], { lastError: 'late a' })).toBe(false);
    const b = await leases.acquireOrRenew('leader:s', 'berth-b', 'nonce-b', 60_000);
    expect(b).toMatchObject({ holder: 'berth-b', token: 2 });
    // a wakes: its write under token 1 fails, its renewal is refused, its probe observations are dropped.
    expect(await asA.patch(row.id, 'c1', ['running'], { lastError: 'stale a', incrementRestarts: true })).toBe(false);
    expect(await leases.acquireOrRenew('leader:s', 'berth-a', 'nonce-a', 60_000)).toBeUndefined();
    await asA.writeProbes([{ id: row.id, containerId: 'c1', at: Date.now(), ok: false, latencyMs: 5, consecutiveFailures: 3, error: 'stale probe', transition: { to: 'unhealthy', from: ['running'] } }]);
    const asB = store.repos.monitorFor({ fence: { name: 'leader:s', token: 2 }, processId: 'berth-b' });
    expect(await asB.patch(row.id, 'c1', ['running'], { lastError: 'from b' })).toBe(true);
    const after = await unsafeDbForTests(store).selectFrom('instances').select(['status', 'last_error', 'restarts', 'consecutive_failures']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'running', last_error: 'from b', restarts: 1, consecutive_failures: 0 });
    // What /health shows on every process.
    expect(await leases.get('leader:s')).toMatchObject({ holder: 'berth-b', token: 2 });
    // A graceful stop gives the lease up at once.
    await leases.release('leader:s', 'nonce-b');
    expect(await leases.acquireOrRenew('leader:s', 'berth-c', 'nonce-c', 60_000)).toMatchObject({ holder: 'berth-c', token: 3 });
    // berth-c crashes and starts again under its name (a new nonce): it takes its lease back at once, with a new token.
    expect(await leases.acquireOrRenew('leader:s', 'berth-c', 'nonce-c2', 60_000)).toMatchObject({ holder: 'berth-c', holderNonce: 'nonce-c2', token: 4 });
  });

  it('an instance lock has one owner at a time and frees itself after its TTL', async () => {
    const locks = store.repos.instanceLocks;
    expect(await locks.tryAcquire(row.id, 'berth-a', 'a#1', 60_000)).toBe(true);
    expect(await locks.tryAcquire(row.id, 'berth-b', 'b#1', 60_000)).toBe(false);
    expect(await locks.holderOf(row.id)).toBe('berth-a');
    expect(await locks.renew(row.id, 'b#1', 60_000)).toBe(false);
    expect(await locks.renew(row.id, 'a#1', 60_000)).toBe(true);
    await locks.release(row.id, 'b#1');
    expect(await locks.holderOf(row.id)).toBe('berth-a');
    await locks.release(row.id, 'a#1');
    expect(await locks.tryAcquire(row.id, 'berth-b', 'b#1', 200)).toBe(true);
    // b dies holding it: after the TTL anyone may take it.
    const end = Date.now() + 10_000;
    while ((await locks.holderOf(row.id)) !== undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(await locks.holderOf(row.id)).toBeUndefined();
    expect(await locks.tryAcquire(row.id, 'berth-c', 'c#1', 60_000)).toBe(true);
    expect(await locks.renew(row.id, 'b#1', 60_000)).toBe(false);
  });
});
