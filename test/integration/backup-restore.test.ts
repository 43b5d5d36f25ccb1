import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { runBerth } from '../helpers/cli.js';
import { createPgDatabase } from '../helpers/databases.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { createInstance } from '../helpers/instances.js';
import { startTestDaemon, uniqueScope, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * Store backup and restore while tenant containers keep running: back up (SQLite: `berth
 * backup` through the daemon; Postgres: pg_dump), wipe the data dir (and, on Postgres, restore
 * into a new database), restore, start berth again: every instance, job and token is back and
 * every container is adopted, none recreated (container ids unchanged).
 */
const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Before {
  td: TestDaemon;
  scope: string;
  containers: Record<string, string>;
  jobId: string;
  tenantToken: string;
}

async function populate(store: 'sqlite' | 'postgres'): Promise<Before> {
  const scope = uniqueScope('bk');
  const td = await startTestDaemon({ scope, store });
  cleanups.push(() => td.cleanup());
  const containers: Record<string, string> = {};
  for (const name of ['bk-one', 'bk-two']) {
    const made = await createInstance(td, { tenant: 'bkt', name, image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.body.status, JSON.stringify(made.body)).toBe('running');
    containers[name] = made.body.containerId!;
  }
  const job = await td.api<{ id: string }>('POST', '/v1/jobs', { name: 'bk-job', schedule: '0 0 1 1 *', target: { instance: 'bk-one' }, action: { type: 'restart' } });
  expect(job.status).toBe(201);
  const token = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'bk-tenant', tenant: 'bkt' });
  return { td, scope, containers, jobId: job.body.id, tenantToken: token.body.token };
}

/** Starts berth on the restored state and checks that it adopted everything and recreated nothing. */
async function checkAdopted(before: Before, dataDir: string, databaseUrl: string): Promise<void> {
  const td = await startTestDaemon({ scope: before.scope, dataDir, databaseUrl });
  cleanups.push(() => td.stop());
  const report = await td.daemon.reconciler.reconcileNow();
  expect(report.errors).toEqual([]);
  expect(report.orphanContainers).toBe(0);
  const list = await td.api<{ items: Instance[] }>('GET', '/v1/instances');
  expect(Object.fromEntries(list.body.items.map((i) => [i.name, i.containerId]))).toEqual(before.containers);
  const engine = await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${before.scope}`] } });
  expect(Object.fromEntries(engine.map((c) => [c.Labels['berth.name'], c.Id]))).toEqual(before.containers);
  expect(engine.every((c) => c.State === 'running')).toBe(true);
  const events = await td.api<{ items: Array<{ type: string }> }>('GET', '/v1/events?limit=200');
  expect(events.body.items.filter((e) => ['recreated', 'orphan-removed', 'created'].includes(e.type)).length).toBe(2); // the two creates before the backup
  expect((await td.api('GET', `/v1/jobs/${before.jobId}`)).status).toBe(200);
  const asTenant = await td.api<{ items: Instance[] }>('GET', '/v1/instances', undefined, before.tenantToken);
  expect(asTenant.status).toBe(200);
  expect(asTenant.body.items).toHaveLength(2);
}

/** What an operator keeps apart from the backup: the secret key and the admin token. */
function keepKeys(dataDir: string): string {
  const safe = mkdtempSync(path.join(tmpdir(), 'berth-keys-'));
  cleanups.push(async () => rmSync(safe, { recursive: true, force: true }));
  for (const f of ['secret.key', 'admin.token']) copyFileSync(path.join(dataDir, f), path.join(safe, f));
  return safe;
}

function wipe(dataDir: string): void {
  for (const f of readdirSync(dataDir)) rmSync(path.join(dataDir, f), { recursive: true, force: true });
}

describe(`store backup and restore (${testEnv.store})`, () => {
  // Each store lane runs its own path (no skipped test in either).
  if (testEnv.store === 'sqlite') it('SQLite: berth backup while running → wipe the data dir → berth restore → every container adopted, none recreated', async () => {
    const before = await populate('sqlite');
    const { td } = before;
    const out = mkdtempSync(path.join(tmpdir(), 'berth-backup-'));
    cleanups.push(async () => rmSync(out, { recursive: true, force: true }));
    const file = path.join(out, 'berth.db');
    const env = { PATH: process.env.PATH ?? '', BERTH_URL: td.url, BERTH_TOKEN: td.token, NO_COLOR: '1' };
    const backup = await runBerth(['backup', file, '--json'], env);
    expect(backup.code, backup.stderr).toBe(0);
    const result = JSON.parse(backup.stdout) as { bytes: number; sha256: string; secretKeyFile: string; store: string };
    expect(result).toMatchObject({ store: 'sqlite', secretKeyFile: path.join(td.dataDir, 'secret.key') });
    expect(result.bytes).toBeGreaterThan(4096);
    const human = await runBerth(['backup', path.join(out, 'again.db')], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('secret key');
    expect((await runBerth(['backup', file], env)).code).toBe(4); // never overwrites

    const safe = keepKeys(td.dataDir);
    await td.stop();
    wipe(td.dataDir);
    // A file that is not a store is refused, and so is a data dir that already has one.
    writeFileSync(path.join(out, 'junk.db'), 'not a database');
    expect((await runBerth(['restore', path.join(out, 'junk.db'), '--data-dir', td.dataDir], env)).code).toBe(2);
    const restored = await runBerth(['restore', file, '--data-dir', td.dataDir, '--secret-key', path.join(safe, 'secret.key'), '--json'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ instances: 2, jobs: 1, migration: expect.any(String) });
    expect((await runBerth(['restore', file, '--data-dir', td.dataDir], env)).code).toBe(4);
    copyFileSync(path.join(safe, 'admin.token'), path.join(td.dataDir, 'admin.token'));
    await checkAdopted(before, td.dataDir, '');
  }, 300_000);

  else it('Postgres: berth backup says to use pg_dump; pg_dump → pg_restore into a new database → every container adopted, none recreated', async () => {
    const before = await populate('postgres');
    const { td } = before;
    const env = { PATH: process.env.PATH ?? '', BERTH_URL: td.url, BERTH_TOKEN: td.token, NO_COLOR: '1' };
    const refused = await runBerth(['backup', path.join(tmpdir(), `never-${before.scope}.db`)], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('pg_dump');

    const out = mkdtempSync(path.join(tmpdir(), 'berth-pgdump-'));
    cleanups.push(async () => rmSync(out, { recursive: true, force: true }));
    const dump = path.join(out, 'berth.dump');
    // While berth runs: pg_dump takes one consistent snapshot of the database.
    await run('pg_dump', ['-Fc', '-f', dump, td.databaseUrl], { timeout: 120_000 });
    const safe = keepKeys(td.dataDir);
    await td.stop();
    const target = await createPgDatabase();
    cleanups.push(() => target.drop());
    await run('pg_restore', ['--no-owner', '--exit-on-error', '-d', target.url, dump], { timeout: 120_000 });
    wipe(td.dataDir);
    for (const f of ['secret.key', 'admin.token']) copyFileSync(path.join(safe, f), path.join(td.dataDir, f));
    await checkAdopted(before, td.dataDir, target.url);
  }, 300_000);
});
