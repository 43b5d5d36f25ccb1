import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Route } from 'playwright-core';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { ARTIFACTS, goto, launchBrowser, openPage, watchUntil, type WatchedPage } from './browser.js';
import { seedStoppedInstances } from './seed-instances.js';
import { syntheticFleet } from './synthetic-fleet.js';

interface FleetPerf { mode?: string; firstRenderMs?: number; polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number; pages?: number }> }

/**
 * The fleet view past one page of the list: it follows `next` cursors where the API gives them,
 * offsets where it gives `total` (today's API, real rows), falls back to the server's page size
 * when its own is refused, and shows the node column only where instances carry a node.
 */
describe('fleet view past 1,000 instances (paging) and the node column', () => {
  let td: TestDaemon;
  let browser: Browser;

  beforeAll(async () => {
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'scheduler.enabled': false } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await td?.cleanup();
  });

  const perfOf = (w: WatchedPage) => w.page.evaluate<FleetPerf>('JSON.parse(JSON.stringify(window.__berthFleetPerf))');
  const rows = (w: WatchedPage) => w.page.locator('table.fleet tbody tr').count();
  const totalChip = (w: WatchedPage) => w.page.locator('[aria-label="Instances by status"] li').first().textContent();

  async function signedIn(): Promise<WatchedPage & { requests: string[] }> {
    const w = await openPage(browser);
    // Paging is the polling path's (the stream sends the whole fleet itself).
    await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)}); sessionStorage.setItem('berth.live', 'poll')`);
    const requests: string[] = [];
    w.page.on('request', (r) => { if (r.url().includes('/v1/instances')) requests.push(new URL(r.url()).pathname + new URL(r.url()).search); });
    return { ...w, requests };
  }

  /** A cursor-paged list of synthetic instances (each on a node), with an ETag per page and version. */
  async function serveCursorPages(w: WatchedPage, n: number, state: { version: number; maxLimit?: number; notModified: number }): Promise<void> {
    await w.page.route(/\/v1\/instances(\?|$)/, async (route: Route) => {
      const u = new URL(route.request().url());
      const limit = Number(u.searchParams.get('limit') ?? 100);
      if (state.maxLimit !== undefined && limit > state.maxLimit) {
        await route.fulfill({ status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'INVALID_INPUT', message: `limit must be at most ${state.maxLimit}`, field: 'limit' } }) });
        return;
      }
      const cursor = u.searchParams.get('cursor');
      const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
      const etag = `W/"syn-${start}-${limit}-${state.version}"`;
      if (route.request().headers()['if-none-match'] === etag) {
        state.notModified++;
        await route.fulfill({ status: 304, headers: { etag } });
        return;
      }
      const all = syntheticFleet(n, state.version).map((i, k) => ({ ...i, node: `node-${k % 3}` }));
      const items = all.slice(start, start + limit);
      const end = start + items.length;
      const next = end < all.length ? Buffer.from(String(end)).toString('base64url') : null;
      await route.fulfill({ status: 200, headers: { etag, 'content-type': 'application/json' }, body: JSON.stringify({ items, next }) });
    });
  }

  it('follows next cursors through 2,100 instances, keeps each page\'s ETag, and shows the node column', async () => {
    const w = await signedIn();
    const state = { version: 0, notModified: 0 };
    await serveCursorPages(w, 2100, state);
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => rows(w), (c) => c === 2100, 90_000, '2,100 rows');
    expect(await totalChip(w)).toContain('2100');
    expect(w.requests.slice(0, 3)).toEqual([
      '/v1/instances?limit=1000',
      `/v1/instances?limit=1000&cursor=${Buffer.from('1000').toString('base64url')}`,
      `/v1/instances?limit=1000&cursor=${Buffer.from('2000').toString('base64url')}`,
    ]);
    // Unchanged: a poll costs one 304 per page and no rendering.
    await watchUntil(async () => (await perfOf(w)).polls.filter((p) => p.status === 304).length, (c) => c >= 2, 60_000, 'two unchanged polls');
    expect((await perfOf(w)).polls.filter((p) => p.status === 304).every((p) => p.pages === 3)).toBe(true);
    expect(state.notModified).toBeGreaterThanOrEqual(6);

    // The node column: in the header and on every row.
    expect(await w.page.locator('table.fleet thead th').allTextContents()).toContain('Node');
    await expect(w.page.locator('tr[data-instance="tenant-01-agent-1"] td[data-col="node"]').textContent()).resolves.toBe('node-1');
    await w.page.getByLabel('Search').fill('node-2');
    await watchUntil(() => rows(w), (c) => c === 700, 30_000, 'the rows on node-2');
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'fleet-node-column.png') });
    await w.page.getByLabel('Search').fill('');

    // A change on any page re-renders the whole list.
    const rendered = (await perfOf(w)).polls.filter((p) => p.status === 200).length;
    state.version = 1;
    await watchUntil(async () => (await perfOf(w)).polls.filter((p) => p.status === 200).length, (c) => c > rendered, 60_000, 'the changed fleet rendered');
    expect(await rows(w)).toBe(2100);
    const perf = await perfOf(w);
    const full = perf.polls.filter((p) => p.status === 200);
    const figures = {
      instances: 2100, pages: full[0]?.pages, firstRenderMsSinceNavigation: Math.round(perf.firstRenderMs ?? NaN),
      firstReadToRenderMs: Math.round(full[0]?.ms ?? NaN), bytes: full[0]?.bytes,
      unchangedPollMs: perf.polls.filter((p) => p.status === 304).map((p) => Math.round(p.ms)),
    };
    console.log(`[e2e-ui] fleet at 2,100 (cursor pages): ${JSON.stringify(figures)}`);
    writeFileSync(path.join(ARTIFACTS, 'fleet-2100-paging-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);

    // The instance page names the node too (the instance itself answered synthetically; its
    // logs, stats and events are not there, which the page reports without breaking).
    const one = { ...syntheticFleet(2100, state.version)[1]!, node: 'node-1' };
    await w.page.route(/\/v1\/instances\/tenant-01-agent-1$/, (route: Route) => route.fulfill({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(one) }));
    await w.page.locator('tr[data-instance="tenant-01-agent-1"] a').first().click();
    await expect(w.page.getByTestId('node').textContent({ timeout: 30_000 })).resolves.toBe('node-1');
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('falls back to the server\'s own page size when its limit is refused', async () => {
    const w = await signedIn();
    const state = { version: 0, maxLimit: 500, notModified: 0 };
    await serveCursorPages(w, 1200, state);
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => rows(w), (c) => c === 1200, 90_000, '1,200 rows');
    expect(w.requests[0]).toBe('/v1/instances?limit=1000');
    expect(w.requests[1]).toBe('/v1/instances');
    // The server's default (100 here) pages through the rest.
    expect(w.requests.filter((r) => r.includes('cursor=')).length).toBeGreaterThanOrEqual(11);
    expect(await w.page.getByRole('alert').count()).toBe(0);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('uses the stream by default and polls when the stream is refused (the token\'s stream cap)', async () => {
    const w = await openPage(browser);
    await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)})`);
    let streamTries = 0;
    await w.page.route(/\/v1\/events\/stream/, async (route: Route) => {
      streamTries++;
      await route.fulfill({ status: 429, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'this token already has 4 followed streams open (at most 4); close one first' } }) });
    });
    await serveCursorPages(w, 60, { version: 0, notModified: 0 });
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => rows(w), (c) => c === 60, 30_000, '60 rows by polling');
    expect((await perfOf(w)).mode).toBe('poll');
    expect(streamTries).toBe(1);
    expect(await w.page.getByRole('alert').count()).toBe(0);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('pages 1,200 real rows from the real API by cursor, and shows no node column on one host', async () => {
    await seedStoppedInstances(td, 1200, 'page');
    const api = await td.api<{ items: unknown[]; total: number }>('GET', '/v1/instances?limit=1000');
    expect([api.body.items.length, api.body.total]).toEqual([1000, 1200]);

    const w = await signedIn();
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => rows(w), (c) => c === 1200, 90_000, '1,200 real rows');
    expect(await totalChip(w)).toContain('1200');
    // The second page is asked for by the cursor the first answer's `next` carried.
    expect(w.requests.filter((r) => r.startsWith('/v1/instances?') && /[?&]cursor=/.test(r))).toHaveLength(1);
    expect(await w.page.locator('tr[data-instance="page-1199"]').count()).toBe(1);
    expect(await w.page.locator('table.fleet thead th').allTextContents()).not.toContain('Node');
    // Both pages answer 304 while nothing changes.
    await watchUntil(async () => (await perfOf(w)).polls.filter((p) => p.status === 304).length, (c) => c >= 1, 60_000, 'an unchanged poll');
    expect((await perfOf(w)).polls.find((p) => p.status === 304)?.pages).toBe(2);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });
});
