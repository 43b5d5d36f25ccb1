import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventSourceMessage } from 'eventsource-parser';
import { testEnv } from '../helpers/env.js';
import { createInstance, untilStatus } from '../helpers/instances.js';
import { openSse, type SseClient } from '../helpers/sse.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

interface Item { id: string; name: string; tenant: string; status: string }
const data = <T>(e: EventSourceMessage): T => JSON.parse(e.data) as T;
const snapshotOf = (e: EventSourceMessage) => data<{ items: Item[] }>(e).items;
const changesOf = (e: EventSourceMessage) => data<{ upserts: Item[]; removed: string[] }>(e);

/** GET /v1/events/stream: the live fleet as Server-Sent Events, on the real engine and store. */
describe(`fleet stream (${testEnv.store})`, () => {
  let td: TestDaemon;
  let tokenA: string;
  let tokenB: string;
  const open: SseClient[] = [];
  const sse = async (path: string, token: string | null): Promise<SseClient> => {
    const c = await openSse(`${td.url}${path}`, token);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'streams.maxPerToken': 2 } });
    tokenA = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'fs-a', tenant: 'fsa' })).body.token;
    tokenB = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'fs-b', tenant: 'fsb' })).body.token;
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await td?.cleanup();
  });

  it('sends a snapshot, then only changes, each token seeing its own tenant only', async () => {
    const made = await createInstance(td, { tenant: 'fsa', name: 'fs-one', image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const admin = await sse('/v1/events/stream', td.token);
    const a = await sse('/v1/events/stream', tokenA);
    const b = await sse('/v1/events/stream', tokenB);
    expect([admin.status, a.status, b.status]).toEqual([200, 200, 200]);
    const isSnapshot = (e: EventSourceMessage) => e.event === 'snapshot';
    expect(snapshotOf(await admin.next(isSnapshot, 15_000)).map((i) => i.name)).toEqual(['fs-one']);
    expect(snapshotOf(await a.next(isSnapshot, 15_000)).map((i) => i.name)).toEqual(['fs-one']);
    expect(snapshotOf(await b.next(isSnapshot, 15_000))).toEqual([]);

    // A stop: the status changes reach the admin and tenant A, never tenant B.
    const fromA = a.events.length;
    expect((await td.api('POST', '/v1/instances/fs-one/actions', { action: 'stop' })).status).toBeLessThan(300);
    await untilStatus(td, 'fs-one', 'stopped');
    const stopped = (e: EventSourceMessage) => e.event === 'changes' && changesOf(e).upserts.some((i) => i.name === 'fs-one' && i.status === 'stopped');
    await admin.next(stopped, 15_000);
    await a.next(stopped, 15_000, fromA);

    // A second tenant's instance appears for the admin and for B, not for A.
    const madeB = await createInstance(td, { tenant: 'fsb', name: 'fs-two', image: testEnv.image }, '?wait=running&timeout=90');
    expect(madeB.status).toBe(201);
    const running = (name: string) => (e: EventSourceMessage) => e.event === 'changes' && changesOf(e).upserts.some((i) => i.name === name && i.status === 'running');
    await admin.next(running('fs-two'), 15_000);
    await b.next(running('fs-two'), 15_000);

    // Deleting: the id is in `removed` for those who could see it.
    const id = made.body.id;
    expect((await td.api('DELETE', '/v1/instances/fs-one')).status).toBe(200);
    const removed = (e: EventSourceMessage) => e.event === 'changes' && changesOf(e).removed.includes(id);
    await admin.next(removed, 15_000);
    await a.next(removed, 15_000);

    // B never saw anything of tenant fsa; A never anything of fsb.
    expect(b.events.some((e) => e.data.includes('"tenant":"fsa"') || e.data.includes(id))).toBe(false);
    expect(a.events.some((e) => e.data.includes('"tenant":"fsb"'))).toBe(false);
    // Snapshots and changes carry the API's Instance shape.
    const one = changesOf((await admin.next(running('fs-two'), 1000))).upserts.find((i) => i.name === 'fs-two')!;
    const api = (await td.api<Record<string, unknown>>('GET', '/v1/instances/fs-two')).body;
    expect(Object.keys(one).sort()).toEqual(Object.keys(api).sort());
  });

  it('once=true ends after the snapshot; a stream needs a token and counts against the per-token cap', async () => {
    const once = await openSse(`${td.url}/v1/events/stream?once=true`, tokenB);
    await once.ended;
    expect(once.events.map((e) => e.event)).toEqual(['snapshot']);
    expect(snapshotOf(once.events[0]!).map((i) => i.name)).toEqual(['fs-two']);

    expect((await td.api('GET', '/v1/events/stream?once=true', undefined, null)).status).toBe(401);
    // Tenant A holds one stream from the first test; one more fits (cap 2), the next is refused.
    const second = await sse('/v1/events/stream', tokenA);
    expect(second.status).toBe(200);
    const third = await td.api<{ error: { code: string } }>('GET', '/v1/events/stream?once=true', undefined, tokenA);
    expect(third.status).toBe(200);
    const refused = await openSse(`${td.url}/v1/events/stream`, tokenA);
    expect(refused.status).toBe(429);
    await refused.ended;
    second.close();
  });

  it('a graceful stop ends open streams at once instead of waiting out the grace period', async () => {
    const admin = await sse('/v1/events/stream', td.token);
    await admin.next((e) => e.event === 'snapshot', 15_000);
    const t0 = Date.now();
    await td.daemon.stop('test: stop with a stream open');
    await admin.ended;
    // The default grace is 15 s; a stream that held the close would take that long.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
