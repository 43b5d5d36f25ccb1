import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsafeDbForTests } from '../helpers/store-db.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../helpers/databases.js';
import { testEnv } from '../helpers/env.js';

const WRITERS = 8;
const BATCHES = 25;
const PER_BATCH = 2;

/**
 * Following events by id (`after=`) must not skip rows committed out of id order. On Postgres
 * ids are drawn before commit; a trigger here stalls every insert for a random moment after its
 * id is drawn, so without berth's insert lock later ids would commit first and a follower
 * would pass the earlier ones for good.
 */
describe(`events follow order under concurrent writers (${testEnv.store})`, () => {
  let store: Store;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ store, close } = await openTestStore('berth-events-order-', { poolSize: WRITERS + 2 }));
    if (store.dialect === 'postgres') {
      await sql`create function berth_test_stall() returns trigger as $$ begin perform pg_sleep(random() * 0.02); return new; end $$ language plpgsql`.execute(unsafeDbForTests(store));
      await sql`create trigger berth_test_stall before insert on events for each row execute function berth_test_stall()`.execute(unsafeDbForTests(store));
    }
  });
  afterAll(() => close?.());

  it(`${WRITERS} writers × ${BATCHES} batches: a follower by id sees every event once, in id order`, async () => {
    const repo = store.repos.events;
    const seen: number[] = [];
    let writing = true;
    const follower = (async () => {
      let after = 0;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const finished = !writing;
        const rows = await repo.list({ afterId: after, limit: 500 });
        for (const r of rows) seen.push(Number(r.id));
        if (rows.length) after = Number(rows.at(-1)!.id);
        if (finished && rows.length === 0) return;
        if (Date.now() > deadline) throw new Error('follower did not finish in 120 s');
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
      for (let b = 0; b < BATCHES; b++) {
        await repo.insertMany(Array.from({ length: PER_BATCH }, (_x, k) => ({
          instanceId: null, instance: `w${w}`, tenant: 'order', type: 'test', message: `writer ${w} batch ${b} row ${k}`,
          actor: 'test', data: null, at: new Date().toISOString(),
        })));
      }
    }));
    writing = false;
    await follower;

    const stored = (await unsafeDbForTests(store).selectFrom('events').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    expect(stored).toHaveLength(WRITERS * BATCHES * PER_BATCH);
    // Every stored event was seen, once, and in increasing id order.
    expect(seen).toEqual(stored);
  }, 180_000);
});
