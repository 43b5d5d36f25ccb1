import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { createPgDatabase } from '../helpers/databases.js';
import { testEnv } from '../helpers/env.js';

const storeModule = path.join(testEnv.root, 'dist/src/store/store.js');

/** Runs `migrate()` in a separate Node process, the way two berth daemons would at boot. */
function migrateInChild(url: string, dataDir: string): Promise<{ code: number | null; out: string }> {
  const script = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    const store = openStore({ url: process.argv[1], dataDir: process.argv[2] });
    try { const applied = await store.migrate(); console.log(JSON.stringify(applied)); }
    finally { await store.close(); }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, url, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of drops) await d();
});

describe.each(['sqlite', 'postgres'] as const)('migrations on %s', (dialect) => {
  it('applied by two processes at once end in one consistent schema, and again is a no-op', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-mig-'));
    let url = '';
    if (dialect === 'postgres') {
      const db = await createPgDatabase();
      drops.push(db.drop);
      url = db.url;
    }
    const runs = await Promise.all([migrateInChild(url, dataDir), migrateInChild(url, dataDir), migrateInChild(url, dataDir)]);
    for (const r of runs) expect(r.code, r.out).toBe(0);
    const applied = runs.map((r) => JSON.parse(r.out.trim().split('\n').pop() ?? '[]') as string[]);
    // Exactly one process applied the initial migration; the others found it done.
    expect(applied.flat().filter((m) => m === '0001-initial')).toHaveLength(1);

    const store = openStore({ url, dataDir });
    try {
      expect(await store.migrate()).toEqual([]);
      const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(unsafeDbForTests(store));
      const names = rows.rows.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names[0]).toBe('0001-initial');
      for (const table of ['instances', 'events', 'tokens', 'jobs', 'job_runs', 'networks', 'meta'] as const) {
        await expect(unsafeDbForTests(store).selectFrom(table).selectAll().limit(1).execute()).resolves.toBeDefined();
      }
    } finally {
      await store.close();
    }
  });
});
