import type { Kysely } from 'kysely';
import type { Database } from './database.js';

const handles = new WeakMap<object, Kysely<Database>>();

export function rememberHandle(store: object, db: Kysely<Database>): void {
  handles.set(store, db);
}

/**
 * Tests only (ESLint refuses it in berth's own code): the raw handle behind a store, to set up
 * states no repository method makes (a row forced into a status, a migration table read).
 */
export function unsafeDbForTests(store: object): Kysely<Database> {
  const db = handles.get(store);
  if (!db) throw new Error('not a store opened by openStore');
  return db;
}
