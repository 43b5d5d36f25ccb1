import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceVolumeOf } from '../../core/instances/container-spec.js';
import { openStore, type Store } from '../store.js';
import { unsafeDbForTests } from '../unsafe-db.js';
import { migrationProvider } from './index.js';

let dir: string;
let store: Store;
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2026-01-01T00:00:00.000Z';
const instance = (id: string, name: string, tenant: string) => ({
  id, name, tenant, plan: 'starter', image: 'img', command: null, env: '{}', secrets_sealed: null, secret_names: '[]', container_port: 8080,
  host_port: null, health: '{}', spec_hash: 'h', desired_state: 'running', status: 'running', container_id: null, network_name: null, created_at: at, updated_at: at,
});
const job = (id: string, target: unknown, tenant: string | null) => ({
  id, name: id, schedule: '0 3 * * *', timezone: 'UTC', target: JSON.stringify(target), action: '{"type":"restart"}', enabled: 1,
  missed_policy: 'skip', overlap_policy: 'skip', timeout_seconds: 60, tenant, next_run_at: at, last_run_at: null, created_at: at, updated_at: at,
});

describe('migration 0003 (identity by id)', () => {
  it('keeps existing rows working: legacy volume names, kept marks become kept workspaces, job targets become ids', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-mig-'));
    store = openStore({ url: '', dataDir: dir });
    const raw = unsafeDbForTests(store);
    const migrator = new Migrator({ db: raw, provider: migrationProvider('sqlite') });
    expect((await migrator.migrateTo('0002-job-run-note')).error).toBeUndefined();
    // Rows as the previous version wrote them (no workspace_volume column yet).
    const db = raw as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
    await db.insertInto('instances').values(instance('ins_a', 'acme', 'acme')).execute();
    await db.insertInto('meta').values({ key: 'workspace.kept:berth-s1-old-ws', value: at }).execute();
    await db.insertInto('jobs').values([
      job('job_ok', { instance: 'acme' }, 'acme'),
      // Bound by name to an instance that is now another tenant's: must not follow the name.
      job('job_cross', { instance: 'acme' }, 'evil'),
      job('job_tenant', { tenant: 'acme' }, 'acme'),
    ]).execute();

    expect(await store.migrate()).toContain('0003-identity-by-id');

    const row = await raw.selectFrom('instances').selectAll().where('id', '=', 'ins_a').executeTakeFirstOrThrow();
    expect(row.workspace_volume).toBeNull();
    expect(workspaceVolumeOf('s1', { name: row.name, workspaceVolume: row.workspace_volume })).toBe('berth-s1-acme-ws');
    const kept = await raw.selectFrom('workspaces').selectAll().execute();
    expect(kept).toEqual([expect.objectContaining({ volume: 'berth-s1-old-ws', tenant: null, instance_name: 'old', kept_at: at })]);
    expect(await raw.selectFrom('meta').selectAll().where('key', 'like', 'workspace.kept:%').execute()).toEqual([]);
    const jobs = Object.fromEntries((await raw.selectFrom('jobs').selectAll().execute()).map((j) => [j.id, j]));
    expect(JSON.parse(jobs.job_ok!.target)).toEqual({ instance: 'acme', instanceId: 'ins_a' });
    expect(jobs.job_ok!.enabled).toBe(1);
    expect(jobs.job_cross!).toMatchObject({ enabled: 0, next_run_at: null });
    expect(JSON.parse(jobs.job_tenant!.target)).toEqual({ tenant: 'acme' });
  });
});
