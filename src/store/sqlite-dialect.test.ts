import Sqlite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, reusingStatements } from './sqlite-dialect.js';

describe('reusingStatements', () => {
  const open: Sqlite.Database[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
  });

  it('prepares each query text once and keeps at most `max`, dropping the least recently used', () => {
    const raw = new Sqlite(':memory:');
    open.push(raw);
    let prepared = 0;
    const original = raw.prepare.bind(raw);
    raw.prepare = ((text: string) => {
      prepared++;
      return original(text);
    }) as typeof raw.prepare;
    const db = reusingStatements(raw, 2);
    const a = db.prepare('select 1 as v');
    expect(db.prepare('select 1 as v')).toBe(a);
    db.prepare('select 2 as v');
    db.prepare('select 1 as v'); // now the most recently used
    db.prepare('select 3 as v'); // evicts 'select 2'
    expect(db.cached).toBe(2);
    expect(prepared).toBe(3);
    db.prepare('select 2 as v');
    expect(prepared).toBe(4);
    expect(db.prepare('select 1 as v')).not.toBe(a); // evicted by 'select 2' coming back
  });

  it('gives Kysely correct results when the same statement runs with different parameters, in and out of transactions', async () => {
    const { dialect } = openSqlite(':memory:');
    const db = new Kysely<{ t: { id: number; v: string } }>({ dialect });
    try {
      await sql`create table t (id integer primary key, v text)`.execute(db);
      for (let i = 0; i < 5; i++) await db.insertInto('t').values({ id: i, v: `v${i}` }).execute();
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('t').set({ v: 'x' }).where('id', '=', 3).execute();
      });
      const rows = await Promise.all([1, 3, 4].map((id) => db.selectFrom('t').select('v').where('id', '=', id).executeTakeFirstOrThrow()));
      expect(rows.map((r) => r.v)).toEqual(['v1', 'x', 'v4']);
    } finally {
      await db.destroy();
    }
  });
});
