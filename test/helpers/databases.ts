import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/store.js';
import { testEnv } from './env.js';

/** Creates a fresh, empty Postgres database for one test; `drop` removes it. */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `berth_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testEnv.pgAdminUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `no PostgreSQL answers at ${testEnv.pgAdminUrl.replace(/:[^:@/]+@/, ':***@')} (${(error as Error).message}). ` +
        'Run `bash scripts/ensure-postgres.sh` (Debian, root) or set BERTH_TEST_PG_URL.',
      { cause: error },
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testEnv.pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: testEnv.pgAdminUrl });
      await c.connect();
      // FORCE cannot end a backend of another role (an autovacuum worker that just entered the
      // database): that answers 42501; try again shortly, bounded.
      for (let attempt = 1; ; attempt++) {
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== '42501' || attempt >= 10) {
            await c.end();
            throw error;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await c.end();
    },
  };
}

/** The DATABASE_URL a test daemon uses for the store under test: '' (SQLite) or a fresh Postgres. */
export async function storeUrlFor(store: 'sqlite' | 'postgres'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (store === 'sqlite') return { url: '', drop: async () => undefined };
  return createPgDatabase();
}

/**
 * A migrated store of the lane's kind (testEnv.store) in a fresh data directory and, on
 * Postgres, a fresh database; `close` closes it and removes both.
 */
export async function openTestStore(prefix: string, options: Pick<OpenStoreOptions, 'poolSize'> = {}): Promise<{ store: Store; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const db = await storeUrlFor(testEnv.store);
  const store = openStore({ url: db.url, dataDir, ...options });
  await store.migrate();
  return {
    store,
    close: async () => {
      await store.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
