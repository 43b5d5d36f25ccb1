import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BerthEvent } from '../../src/core/events/event-log.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, untilStatus } from '../helpers/instances.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const NAME = 'ordered';

/**
 * An API action answers after its event is in the history: a script that acts and then reads
 * the audit trail must find what it just did. On Postgres a trigger holds every event insert
 * for 400 ms, so an answer sent before its event commits is caught at once. SQLite has one
 * connection and no sleep: there the check runs without the delay.
 */
describe(`API actions answer after their event is written (${testEnv.store})`, () => {
  let td: TestDaemon;

  beforeAll(async () => {
    td = await startTestDaemon();
    if (td.daemon.store.dialect === 'postgres') {
      const db = unsafeDbForTests(td.daemon.store);
      await sql`create function berth_test_slow_event() returns trigger as $$ begin perform pg_sleep(0.4); return new; end $$ language plpgsql`.execute(db);
      await sql`create trigger berth_test_slow_event before insert on events for each row execute function berth_test_slow_event()`.execute(db);
    }
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  async function latest(type: string): Promise<BerthEvent[]> {
    const res = await td.api<{ items: BerthEvent[] }>('GET', `/v1/events?type=${type}&instance=${NAME}&limit=10`);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  it('create, stop, start, restart and delete: each event is readable the moment the call returns', async () => {
    const created = await createInstance(td, { tenant: 'acme', name: NAME, image: testEnv.image, health: { intervalSeconds: 1, startPeriodSeconds: 10 } });
    expect(created.status).toBe(202);
    expect(await latest('created')).toHaveLength(1);
    await untilStatus(td, NAME, 'running', 90_000);

    for (const [action, type] of [['stop', 'stopped'], ['start', 'started'], ['restart', 'restarted']] as const) {
      const before = (await latest(type)).length;
      const res = await td.api('POST', `/v1/instances/${NAME}/actions`, { action });
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      expect(await latest(type), action).toHaveLength(before + 1);
    }

    const removed = await td.api('DELETE', `/v1/instances/${NAME}`);
    expect(removed.status).toBe(200);
    expect(await latest('deleted')).toHaveLength(1);
  }, 180_000);
});
