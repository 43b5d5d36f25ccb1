import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createInstance } from '../helpers/instances.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

// Snapshot boot recovery with several berths on one Postgres store (project `multi`): a berth
// that starts while another is taking a snapshot must leave that snapshot alone.
const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of [...daemons].reverse()) await (d === daemons[0] ? d.cleanup() : d.stop());
});

describe('snapshot recovery on a shared store', () => {
  it('a booting berth fails only the half-taken snapshots whose instance nobody holds', async () => {
    const a = await startTestDaemon({ store: 'postgres', flags: { 'cluster.processId': 'snap-a' } });
    daemons.push(a);
    const made = await createInstance(a, { tenant: 'snapr', name: 'snapr-1', image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.body.status, JSON.stringify(made.body)).toBe('running');
    const id = made.body.id;
    const db = new pg.Client({ connectionString: a.databaseUrl });
    await db.connect();
    try {
      // As another process's snapshot in progress looks: a `creating` row, and that process's lock on the instance.
      await db.query(`insert into snapshots (id, instance_id, instance_name, tenant, status, trigger, mode, file, actor, created_at)
        values ('snp_inflight', $1, 'snapr-1', 'snapr', 'creating', 'manual', 'pause', 'snapr/snp_inflight.tar', 'admin', $2)`, [id, new Date().toISOString()]);
      await db.query(`insert into instance_locks (instance_id, holder, owner, acquired_at, expires_at)
        values ($1, 'snap-elsewhere', 'snap-elsewhere#1', (extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint + 120000)`, [id]);
      const b = await startTestDaemon({ databaseUrl: a.databaseUrl, scope: a.scope, dataDir: a.dataDir, flags: { 'cluster.processId': 'snap-b' } });
      daemons.push(b);
      expect((await b.api<{ status: string }>('GET', '/v1/snapshots/snp_inflight')).body.status).toBe('creating');

      // The holder died: its lock is gone (expired), and the next berth to boot fails the snapshot.
      await db.query('delete from instance_locks where instance_id = $1', [id]);
      await b.stop();
      daemons.pop();
      const c = await startTestDaemon({ databaseUrl: a.databaseUrl, scope: a.scope, dataDir: a.dataDir, flags: { 'cluster.processId': 'snap-c' } });
      daemons.push(c);
      const after = await c.api<{ status: string; error: string | null }>('GET', '/v1/snapshots/snp_inflight');
      expect(after.body).toMatchObject({ status: 'failed', error: 'berth stopped while the snapshot was taken' });
    } finally {
      await db.end();
    }
  });
});
