import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { RevisionsRepo } from '../repositories/revisions-repo.js';
import { openStore, type Store } from '../store.js';
import { migrationProvider } from './index.js';
import { unsafeDbForTests } from '../unsafe-db.js';

let dir: string;
let store: Store;
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2026-01-01T00:00:00.000Z';
const health = { path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 };

describe('migration 0007 (revisions and rollouts)', () => {
  it('gives every existing instance revision 1: its spec as it is, the sealed secrets copied, nothing changed', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-mig-'));
    store = openStore({ url: '', dataDir: dir });
    const migrator = new Migrator({ db: unsafeDbForTests(store), provider: migrationProvider('sqlite') });
    expect((await migrator.migrateTo('0005-token-expiry-retention')).error).toBeUndefined();
    const db = unsafeDbForTests(store) as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
    const base = {
      plan: 'starter', secret_names: '[]', secrets_sealed: null, container_port: 8080, host_port: null, health: JSON.stringify(health), spec_hash: 'h',
      desired_state: 'running', status: 'running', container_id: null, network_name: null, workspace_volume: null, created_at: at, updated_at: at,
    };
    await db.insertInto('instances').values([
      { ...base, id: 'ins_a', name: 'a', tenant: 'acme', image: 'agent:v1', command: JSON.stringify(['node', 'a "quoted".js']), env: JSON.stringify({ A: 'x "y"' }) },
      { ...base, id: 'ins_b', name: 'b', tenant: 'beta', image: 'reg.local:5000/agent:v2', command: null, env: '{}', secrets_sealed: 'v1:sealed', secret_names: '["KEY"]', plan: 'pro' },
    ]).execute();

    expect(await store.migrate()).toContain('0007-revisions-rollouts');

    const repo = new RevisionsRepo(unsafeDbForTests(store));
    const a = await repo.get('ins_a', 1);
    expect(a).toMatchObject({ tenant: 'acme', changed: [], actor: 'berth', createdAt: at, secretsSealed: null });
    expect(a!.spec).toEqual({ image: 'agent:v1', command: ['node', 'a "quoted".js'], env: { A: 'x "y"' }, secretNames: [], plan: 'starter', port: 8080, health });
    const b = await repo.get('ins_b', 1);
    expect(b).toMatchObject({ secretsSealed: 'v1:sealed', spec: { image: 'reg.local:5000/agent:v2', command: null, env: {}, secretNames: ['KEY'], plan: 'pro' } });
    const rows = await unsafeDbForTests(store).selectFrom('instances').select(['id', 'revision', 'previous_revision']).orderBy('id').execute();
    expect(rows).toEqual([{ id: 'ins_a', revision: 1, previous_revision: null }, { id: 'ins_b', revision: 1, previous_revision: null }]);

    // A deleted instance's revisions (and their sealed secrets) are pruned; the others stay.
    await unsafeDbForTests(store).deleteFrom('instances').where('id', '=', 'ins_b').execute();
    expect(await repo.deleteOrphans()).toBe(1);
    expect(await repo.get('ins_b', 1)).toBeUndefined();
    expect(await repo.get('ins_a', 1)).toBeDefined();
  });
});
