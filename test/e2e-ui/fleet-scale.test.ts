import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Route } from 'playwright-core';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { ARTIFACTS, goto, launchBrowser, openPage, watchUntil, type WatchedPage } from './browser.js';
import { syntheticFleet } from './synthetic-fleet.js';

interface FleetPerf { firstRenderMs?: number; polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number }> }

/**
 * The fleet view at 50 and 500 instances. The daemon is real (it serves the dashboard and checks
 * the token); the instance list is a synthetic answer of the API's exact shape, with ETags, so the
 * figures are the browser's cost, not the engine's. Figures are logged and saved, not asserted.
 */
describe('fleet view at scale (synthetic /v1/instances answers)', () => {
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

  /** Serves the list; `state.version` changes the content (and the ETag). */
  async function serveFleet(w: WatchedPage, n: number, state: { version: number; served: number; notModified: number }): Promise<void> {
    await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)}); sessionStorage.setItem('berth.live', 'poll')`);
    await w.page.route(/\/v1\/instances\?/, async (route: Route) => {
      const etag = `W/"syn-${n}-${state.version}"`;
      if (route.request().headers()['if-none-match'] === etag) {
        state.notModified++;
        await route.fulfill({ status: 304, headers: { etag } });
        return;
      }
      state.served++;
      const items = syntheticFleet(n, state.version);
      await route.fulfill({ status: 200, headers: { etag, 'content-type': 'application/json' }, body: JSON.stringify({ items, total: items.length }) });
    });
  }

  const perfOf = (w: WatchedPage) => w.page.evaluate<FleetPerf>('JSON.parse(JSON.stringify(window.__berthFleetPerf))');

  it('50 instances in mixed states: screenshot', async () => {
    const w = await openPage(browser);
    const state = { version: 0, served: 0, notModified: 0 };
    await serveFleet(w, 50, state);
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => w.page.locator('tbody tr').count(), (c) => c === 50, 30_000, '50 rows');
    const first = await w.page.locator('tbody tr .badge').first().textContent();
    expect(['unhealthy', 'crashloop', 'failed']).toContain(first);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'fleet-50-mixed.png'), fullPage: true });
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('500 instances: time to first render, update cost, 304 polls and search stay cheap', async () => {
    const w = await openPage(browser);
    const state = { version: 0, served: 0, notModified: 0 };
    await serveFleet(w, 500, state);
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => w.page.locator('tbody tr').count(), (c) => c === 500, 60_000, '500 rows');
    const total = await w.page.locator('[aria-label="Instances by status"] li').first().textContent();
    expect(total).toContain('500');

    // Unchanged list: polls answer 304 and nothing re-renders.
    await watchUntil(async () => state.notModified, (c) => c >= 3, 30_000, 'three 304 polls');
    // Changing list: every poll brings a new version and a re-render of 500 rows.
    for (let v = 1; v <= 5; v++) {
      state.version = v;
      const served = state.served;
      await watchUntil(async () => state.served, (s) => s > served, 30_000, `version ${v} served`);
    }
    await watchUntil(async () => (await perfOf(w)).polls.filter((p) => p.status === 200).length, (c) => c >= 6, 30_000, 'updates rendered');
    const perf = await perfOf(w);

    // Typing in search: from the input event to the next painted frame.
    const searchMs = await w.page.evaluate<number>(`(async () => {
      const input = document.getElementById('search');
      const t0 = performance.now();
      input.value = 'tenant-07';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - t0;
    })()`);
    expect(await w.page.locator('tbody tr').count()).toBeLessThan(500);
    const heapMb = await w.page.evaluate<number>('performance.memory ? performance.memory.usedJSHeapSize / 1048576 : -1');

    const updates = perf.polls.filter((p) => p.status === 200).slice(1).map((p) => p.ms);
    const renders = perf.polls.filter((p) => p.status === 200).slice(1).map((p) => p.renderMs ?? NaN);
    const notModified = perf.polls.filter((p) => p.status === 304).map((p) => p.ms);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const figures = {
      instances: 500,
      firstRenderMsSinceNavigation: Math.round(perf.firstRenderMs ?? NaN),
      firstListFetchToRenderMs: Math.round(perf.polls.find((p) => p.status === 200)?.ms ?? NaN),
      listBytes: perf.polls.find((p) => p.status === 200)?.bytes,
      updateFetchToRenderMsMedian: Math.round(median(updates)),
      updateFetchToRenderMsMax: Math.round(Math.max(...updates)),
      updateParsedToRenderedMsMedian: Math.round(median(renders)),
      firstParsedToRenderedMs: Math.round(perf.polls.find((p) => p.status === 200)?.renderMs ?? NaN),
      notModifiedPollMsMedian: Math.round(median(notModified)),
      notModifiedPolls: notModified.length,
      searchInputToFrameMs: Math.round(searchMs),
      jsHeapMb: Math.round(heapMb * 10) / 10,
    };
    console.log(`[e2e-ui] fleet at 500: ${JSON.stringify(figures)}`);
    writeFileSync(path.join(ARTIFACTS, 'fleet-500-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'fleet-500.png') });
    expect(updates.length).toBeGreaterThanOrEqual(5);
    expect(notModified.length).toBeGreaterThanOrEqual(3);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('500 real rows from the real API: server cost of a full answer vs a 304, and the first render', async () => {
    // Rows are written through the store's repository with desired state stopped, so neither the
    // reconciler nor the (disabled) monitor starts 500 containers on a shared engine.
    const repo = td.daemon.store.repos.instances;
    const at = new Date().toISOString();
    for (let i = 0; i < 500; i++) {
      await repo.insert({
        id: `ins_seed${String(i).padStart(4, '0')}`, name: `seed-${i}`, tenant: `tenant-${i % 40}`, plan: ['starter', 'pro', 'business'][i % 3]!,
        image: 'berth/test-agent:local', command: null, env: { LOG_LEVEL: 'info' }, secretsSealed: null, secretNames: [], containerPort: 8080,
        hostPort: null, health: { path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 },
        specHash: `seed${i}`, desiredState: 'stopped', status: 'creating', networkName: null, workspaceVolume: null,
        createdAt: at, updatedAt: at,
      });
      // Rows start as `creating` (the status machine's only entry); `created-stopped` settles them.
      await repo.transition(`ins_seed${String(i).padStart(4, '0')}`, 'creating', 'stopped');
    }
    const url = `${td.url}/v1/instances?limit=1000`;
    const auth = { authorization: `Bearer ${td.token}` };
    const first = await fetch(url, { headers: auth });
    const body = await first.text();
    const etag = first.headers.get('etag');
    expect(first.status).toBe(200);
    expect(etag).toBeTruthy();
    expect((JSON.parse(body) as { total: number }).total).toBe(500);
    const time = async (headers: Record<string, string>, expected: number): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        expect(res.status).toBe(expected);
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b);
    };
    const full = await time(auth, 200);
    const notModified = await time({ ...auth, 'if-none-match': etag! }, 304);

    const w = await openPage(browser);
    await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)}); sessionStorage.setItem('berth.live', 'poll')`);
    await goto(w.page, `${td.url}/ui/`);
    await watchUntil(() => w.page.locator('tbody tr').count(), (c) => c === 500, 60_000, '500 real rows');
    await watchUntil(async () => (await perfOf(w)).polls.filter((p) => p.status === 304).length, (c) => c >= 2, 30_000, 'two 304 polls');
    const perf = await perfOf(w);
    const figures = {
      rows: 500,
      listBytes: body.length,
      server200MsMedian: Math.round(full[15]! * 10) / 10,
      server304MsMedian: Math.round(notModified[15]! * 10) / 10,
      browserFirstRenderMsSinceNavigation: Math.round(perf.firstRenderMs ?? NaN),
      browserFirstFetchToRenderMs: Math.round(perf.polls[0]?.ms ?? NaN),
      browser304PollMs: perf.polls.filter((p) => p.status === 304).map((p) => Math.round(p.ms)),
    };
    console.log(`[e2e-ui] real API at 500 rows: ${JSON.stringify(figures)}`);
    writeFileSync(path.join(ARTIFACTS, 'fleet-500-real-api-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });
});
