import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * Reads a fleet refreshes often: GET /v1/instances pages by cursor (default and maximum
 * limit), a compact summary view, ETag/If-None-Match on list and single reads, and a tenant
 * token that pages only through its own tenant whatever cursor it is given.
 */
let td: TestDaemon;
let tenantToken: string;
type Item = { id: string; name: string; tenant: string; createdAt: string; image?: string; env?: unknown };
type Page = { items: Item[]; total: number; next: string | null };
type Err = { error: { code: string; field?: string } };

const A = 'reads-a';
const B = 'reads-b';
const names: string[] = [];

beforeAll(async () => {
  td = await startTestDaemon();
  for (const [i, tenant] of [A, B, A, A, B].entries()) {
    const name = `reads-${i}`;
    const res = await td.api<Err>('POST', '/v1/instances', { tenant, name, plan: 'starter' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    names.push(name);
  }
  const token = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'reads-a-token', tenant: A });
  expect(token.status).toBe(201);
  tenantToken = token.body.token;
}, 180_000);

afterAll(async () => {
  await td?.cleanup();
}, 120_000);

async function all(query: string, token?: string): Promise<{ items: Item[]; pages: number; totals: number[] }> {
  const items: Item[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: Page } = await td.api<Page>('GET', `/v1/instances?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, token);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    totals.push(res.body.total);
    cursor = res.body.next;
    pages++;
    expect(pages).toBeLessThan(20);
  } while (cursor);
  return { items, pages, totals };
}

describe('GET /v1/instances paging', () => {
  it('follows next page by page through every instance in creation order, once each', async () => {
    const { items, pages, totals } = await all('limit=2');
    expect(pages).toBe(3);
    expect(items.map((i) => i.name)).toEqual(names);
    expect(new Set(totals)).toEqual(new Set([5]));
    const one = await td.api<Page>('GET', '/v1/instances');
    expect(one.body.items).toHaveLength(5);
    expect(one.body.next).toBeNull();
  });

  it('a tenant token pages only through its own tenant, even with a cursor from an admin listing', async () => {
    const { items } = await all('limit=1', tenantToken);
    expect(items.map((i) => i.name)).toEqual(names.filter((_, i) => [0, 2, 3].includes(i)));
    const admin = await td.api<Page>('GET', '/v1/instances?limit=1');
    const mixed = await td.api<Page>('GET', `/v1/instances?limit=10&cursor=${encodeURIComponent(admin.body.next!)}`, undefined, tenantToken);
    expect(mixed.status).toBe(200);
    expect(mixed.body.items.every((i) => i.tenant === A)).toBe(true);
  });

  it('refuses a forged cursor, cursor with offset, and a limit past the maximum, naming the field', async () => {
    const forged = await td.api<Err>('GET', '/v1/instances?cursor=not-a-cursor');
    expect(forged.status).toBe(400);
    expect(forged.body.error.field).toBe('cursor');
    const both = await td.api<Err>('GET', `/v1/instances?offset=1&cursor=${encodeURIComponent(Buffer.from('["x","y"]').toString('base64url'))}`);
    expect(both.status).toBe(400);
    expect(both.body.error.field).toBe('offset');
    const big = await td.api<Err>('GET', '/v1/instances?limit=1001');
    expect(big.status).toBe(400);
  });

  it('view=summary gives compact items, and the full view stays the default', async () => {
    const full = await td.api<Page>('GET', '/v1/instances');
    const summary = await td.api<Page>('GET', '/v1/instances?view=summary');
    expect(summary.body.items.map((i) => i.name)).toEqual(full.body.items.map((i) => i.name));
    expect(full.body.items[0]!.image).toBeDefined();
    expect(summary.body.items[0]!.image).toBeUndefined();
    expect(summary.body.items[0]!.env).toBeUndefined();
    expect(summary.body.items[0]).toMatchObject({ name: names[0], tenant: A });
    expect(JSON.stringify(summary.body).length).toBeLessThan(JSON.stringify(full.body).length / 1.5);
    // Read from its own columns: every summary field, the same values as the full view's (those
    // a probe cannot change between the two reads), with the same types.
    const fields = ['createdAt', 'desiredState', 'hostPort', 'id', 'lastCheckAt', 'lastCheckOk', 'lastError', 'name', 'plan', 'restarts', 'status', 'tenant', 'updatedAt', 'url'];
    const stable = ['createdAt', 'desiredState', 'hostPort', 'id', 'name', 'plan', 'restarts', 'tenant', 'url'];
    for (const [i, item] of summary.body.items.entries()) {
      const whole = full.body.items[i] as unknown as Record<string, unknown>;
      const brief = item as unknown as Record<string, unknown>;
      expect(Object.keys(brief).sort()).toEqual(fields);
      expect(Object.fromEntries(stable.map((k) => [k, brief[k]]))).toEqual(Object.fromEntries(stable.map((k) => [k, whole[k]])));
      expect(brief.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect([true, false, null]).toContain(brief.lastCheckOk);
    }
  });
});

describe('ETag on reads', () => {
  for (const path of ['/v1/instances', '/v1/instances?view=summary', `/v1/instances/reads-0`]) {
    it(`${path}: 304 for the same ETag, 200 with a new one once the instance changes`, async () => {
      // Instances settle (start, first health, a stop from the case before) and probes write their
      // results: take the ETag once two reads in a row agree, so the 304 below is about caching.
      let etag: string | null = null;
      for (let i = 0; i < 100; i++) {
        const read = await fetch(`${td.url}${path}`, { headers: { authorization: `Bearer ${td.token}` } });
        expect(read.status).toBe(200);
        const seen = read.headers.get('etag');
        if (seen && seen === etag) break;
        etag = seen;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(etag).toBeTruthy();
      const again = await fetch(`${td.url}${path}`, { headers: { authorization: `Bearer ${td.token}`, 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      // A change to the instance changes the body, so the old ETag no longer matches.
      const stop = await td.api('POST', '/v1/instances/reads-0/actions', { action: 'stop' });
      expect(stop.status).toBe(200);
      const after = await fetch(`${td.url}${path}`, { headers: { authorization: `Bearer ${td.token}`, 'if-none-match': etag! } });
      expect(after.status).toBe(200);
      await td.api('POST', '/v1/instances/reads-0/actions', { action: 'start' });
    });
  }
});
