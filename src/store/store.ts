import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { createRequire } from 'node:module';
import type Pg from 'pg';
import { systemClock } from '../common/clock.js';
import { BerthError } from '../common/errors.js';
import type { Database } from './database.js';
import { migrationProvider } from './migrations/index.js';
import { openSqlite } from './sqlite-dialect.js';
import { createRepositories, type Repositories, type RepositoryOptions } from './store-repositories.js';
import type { StoreDialect } from './store-dialect.js';
import { rememberHandle } from './unsafe-db.js';

export type { StoreDialect };
export type { Repositories };

/** The store's lifecycle and its repositories; no database handle leaves src/store. */
export interface Store {
  readonly repos: Repositories;
  readonly dialect: StoreDialect;
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  ping(): Promise<void>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
  /**
   * A consistent copy of the whole store into `file` while berth runs (SQLite's online backup
   * API). Undefined on Postgres: pg_dump is the way there (README, Backups).
   */
  backup?(file: string): Promise<void>;
}

export interface OpenStoreOptions {
  /** Empty: SQLite file `berth.db` in dataDir; `sqlite:<path>`; or `postgres://…`. */
  url: string;
  dataDir: string;
  poolSize?: number;
  /** Defaults: the system clock, no logger, illegal transitions throw. */
  repositories?: Partial<RepositoryOptions>;
}

export function openStore(options: OpenStoreOptions): Store {
  const repoOptions: RepositoryOptions = { clock: systemClock, illegalTransitions: 'throw', ...options.repositories };
  if (/^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options.url, options.poolSize ?? 10, repoOptions);
  const file = options.url.startsWith('sqlite:')
    ? path.resolve(options.dataDir, options.url.slice('sqlite:'.length))
    : path.join(options.dataDir, 'berth.db');
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // mkdir and open honour the umask; the store holds sealed secrets and token hashes: owner only.
  if (path.dirname(file) === path.resolve(options.dataDir)) chmodSync(path.dirname(file), 0o700);
  const { dialect, raw } = openSqlite(file);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  const db = new Kysely<Database>({ dialect });
  const store = makeStore(db, 'sqlite', file, repoOptions, async () => {
    raw.pragma('wal_checkpoint(TRUNCATE)');
  });
  // Added in place: the store object is the key tests reach its handle by (unsafe-db.ts).
  store.backup = async (target: string) => {
    // Copies page by page between other connections' writes; the result is one consistent state.
    await raw.backup(target);
    chmodSync(target, 0o600);
  };
  return store;
}

/** Loads a driver when a store of its kind is opened: a SQLite daemon never loads pg (tens of ms at boot). */
const requireDriver = createRequire(import.meta.url);

function openPostgres(url: string, max: number, repoOptions: RepositoryOptions): Store {
  const pg = requireDriver('pg') as typeof Pg;
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle client's error (server restart) must not crash the daemon; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(url);
  return makeStore(db, 'postgres', `postgres://${u.host}${u.pathname}`, repoOptions, async () => undefined);
}

function makeStore(db: Kysely<Database>, dialect: StoreDialect, location: string, repoOptions: RepositoryOptions, beforeClose: () => Promise<void>): Store {
  const store: Store = {
    repos: createRepositories(db, dialect, repoOptions),
    dialect,
    location,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new BerthError('STORE_UNAVAILABLE', `the store at ${location} does not answer: ${(error as Error).message}`, { cause: error });
      }
    },
    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        throw new BerthError('STORE_UNAVAILABLE', `migration ${failed ?? ''} failed: ${(error as Error).message}`, { cause: error });
      }
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async close() {
      await beforeClose().catch(() => undefined);
      await db.destroy();
    },
  };
  rememberHandle(store, db);
  return store;
}
