import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { BerthError } from '../common/errors.js';

export interface BackupSummary {
  /** The last migration the backup's store ran. */
  migration: string | null;
  instances: number;
  jobs: number;
  tokens: number;
  snapshots: number;
}

const HEADER = 'SQLite format 3\0';

/** Checks that `file` is a whole berth SQLite store (header, integrity, berth's tables); what it holds. */
export function inspectSqliteBackup(file: string): BackupSummary {
  if (!existsSync(file)) throw new BerthError('NOT_FOUND', `no file ${file}`);
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(16);
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== HEADER) throw BerthError.invalid('file', `${file} is not a SQLite database (a Postgres store is restored with pg_restore; see the README)`);
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw BerthError.invalid('file', `${file} fails SQLite's integrity check: ${String(check)}`);
    const tables = new Set((db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    for (const t of ['instances', 'tokens', 'jobs', 'kysely_migration']) {
      if (!tables.has(t)) throw BerthError.invalid('file', `${file} is a SQLite database but not a berth store (no ${t} table)`);
    }
    const count = (t: string): number => (tables.has(t) ? (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n : 0);
    const last = db.prepare('select name from kysely_migration order by name desc limit 1').get() as { name: string } | undefined;
    return { migration: last?.name ?? null, instances: count('instances'), jobs: count('jobs'), tokens: count('tokens'), snapshots: count('snapshots') };
  } finally {
    db.close();
  }
}

/**
 * Puts a backup in place as `<dataDir>/berth.db` (0600, the dir 0700). Refuses a data dir that
 * already has a store: a restore never overwrites one. Optionally copies the secret key in.
 */
export function restoreSqliteBackup(file: string, dataDir: string, options: { secretKeyFile?: string } = {}): BackupSummary & { store: string; secretKey: string | null } {
  const summary = inspectSqliteBackup(file);
  const store = path.join(dataDir, 'berth.db');
  const key = path.join(dataDir, 'secret.key');
  for (const f of [store, `${store}-wal`]) {
    if (existsSync(f)) throw new BerthError('CONFLICT', `${dataDir} already holds a store (${path.basename(f)}); restore into an empty data dir`);
  }
  if (options.secretKeyFile && existsSync(key)) throw new BerthError('CONFLICT', `${key} exists already; restore into an empty data dir`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const partial = `${store}.partial`;
  try {
    copyFileSync(file, partial);
    chmodSync(partial, 0o600);
    if (options.secretKeyFile) {
      copyFileSync(options.secretKeyFile, key);
      chmodSync(key, 0o600);
    }
    renameSync(partial, store);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return { ...summary, store, secretKey: existsSync(key) ? key : null };
}
