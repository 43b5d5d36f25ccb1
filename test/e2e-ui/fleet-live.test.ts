import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { ARTIFACTS, goto, launchBrowser, openPage, watchUntil } from './browser.js';
import { seedStoppedInstances } from './seed-instances.js';

interface FleetPerf { mode?: string; firstRenderMs?: number; polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number }> }
interface ClientTotals { requests: number; notModified: number; bytes: number }

const N = 500;
const WINDOW_S = 15;
const CLIENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'live-clients.mjs');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Live updates at 500 instances, Server-Sent Events (GET /v1/events/stream) against polling with
 * ETags (GET /v1/instances every 2 s), on a real berth and store while the rows change the way
 * health probes change them (about 16 rows a second: 500 instances probed every ~30 s). Server
 * cost is the daemon's process CPU (it runs in this process; the clients run in a child process),
 * less the same window with no client. Figures are written to test-artifacts, not asserted.
 */
describe('live fleet at 500 instances: Server-Sent Events vs polling', () => {
  let td: TestDaemon;
  let browser: Browser;
  // Probe results and restart counts are the monitor's to write; the test forces them on the raw rows.
  let db: ReturnType<typeof unsafeDbForTests>;
  let churnTimer: ReturnType<typeof setInterval> | undefined;
  const figures: Record<string, unknown> = { instances: N, rowUpdatesPerSecond: 16, windowSeconds: WINDOW_S };

  beforeAll(async () => {
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'scheduler.enabled': false, 'streams.maxPerToken': 50 } });
    await seedStoppedInstances(td, N, 'live');
    db = unsafeDbForTests(td.daemon.store);
    // Probe-like churn: 4 rows every 250 ms get a new last check.
    let next = 0;
    churnTimer = setInterval(() => {
      const at = new Date().toISOString();
      for (let k = 0; k < 4; k++) {
        const i = next++ % N;
        void db.updateTable('instances').set({ last_check_at: at, last_check_ok: 1, last_check_latency_ms: 1 + (next % 9), updated_at: at }).where('id', '=', `ins_live${String(i).padStart(5, '0')}`).execute();
      }
    }, 250);
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    clearInterval(churnTimer);
    await browser?.close().catch(() => undefined);
    await td?.cleanup();
    writeFileSync(path.join(ARTIFACTS, 'fleet-live-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });

  /** Daemon-process CPU ms per second while `work` runs. */
  async function cpuDuring<T>(work: () => Promise<T>): Promise<{ result: T; cpuMsPerS: number }> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await work();
    const cpu = process.cpuUsage(cpu0);
    return { result, cpuMsPerS: (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000) };
  }

  function runClients(mode: 'poll' | 'sse', clients: number): Promise<ClientTotals> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLIENTS, td.url, td.token, mode, String(clients), String(WINDOW_S)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`clients did not finish: ${err}`)); }, (WINDOW_S + 60) * 1000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(JSON.parse(out) as ClientTotals);
        else reject(new Error(`clients exited ${code}: ${err}`));
      });
    });
  }

  it('server CPU and bytes per client, 1 and 10 clients of each kind', async () => {
    const baseline = await cpuDuring(() => new Promise((r) => setTimeout(r, WINDOW_S * 1000)));
    const server: Record<string, unknown> = { baselineCpuMsPerS: round(baseline.cpuMsPerS) };
    for (const clients of [1, 10]) {
      for (const mode of ['poll', 'sse'] as const) {
        const { result, cpuMsPerS } = await cpuDuring(() => runClients(mode, clients));
        expect(result.requests).toBeGreaterThan(0);
        server[`${mode} x${clients}`] = {
          cpuMsPerS: round(cpuMsPerS - baseline.cpuMsPerS),
          kbPerSPerClient: round(result.bytes / 1024 / WINDOW_S / clients),
          requests: result.requests, notModified: result.notModified,
        };
      }
    }
    figures.server = server;
    console.log(`[e2e-ui] live fleet, server side: ${JSON.stringify(server)}`);
  }, 600_000);

  it('in the browser: latency from a store write to the changed row on screen, bytes and render cost', async () => {
    const browserFigures: Record<string, unknown> = {};
    for (const mode of ['poll', 'sse'] as const) {
      const w = await openPage(browser);
      await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)}); sessionStorage.setItem('berth.live', '${mode}')`);
      await goto(w.page, `${td.url}/ui/`);
      await watchUntil(() => w.page.locator('table.fleet tbody tr').count(), (c) => c === N, 60_000, `${N} rows (${mode})`);
      const perfOf = () => w.page.evaluate<FleetPerf>('JSON.parse(JSON.stringify(window.__berthFleetPerf))');
      expect((await perfOf()).mode).toBe(mode);
      const from = (await perfOf()).polls.length;
      const t0 = performance.now();
      const latencies: number[] = [];
      for (let k = 0; k < 5; k++) {
        const i = 37 * (k + 1);
        const value = 1000 + k + (mode === 'sse' ? 100 : 0);
        const start = Date.now();
        await db.updateTable('instances').set({ restarts: value, updated_at: new Date().toISOString() }).where('id', '=', `ins_live${String(i).padStart(5, '0')}`).execute();
        // Checked on every animation frame in the page; answers the page's clock time when shown.
        const shownAt = await w.page.waitForFunction(`(() => {
          const cell = document.querySelector('tr[data-instance="live-${i}"] td[data-col="restarts"]');
          return cell && cell.textContent === '${value}' ? Date.now() : null;
        })()`, undefined, { polling: 'raf', timeout: 20_000 });
        latencies.push((await shownAt.jsonValue() as number) - start);
        // Spread the changes over the window: one every 3 s.
        await new Promise((r) => setTimeout(r, 3000 - ((Date.now() - start) % 3000)));
      }
      const seconds = (performance.now() - t0) / 1000;
      const updates = (await perfOf()).polls.slice(from);
      const rendered = updates.filter((u) => u.status === 200);
      browserFigures[mode] = {
        firstRenderMsSinceNavigation: Math.round((await perfOf()).firstRenderMs ?? NaN),
        changeShownMsMedian: Math.round(median(latencies)), changeShownMsMax: Math.round(Math.max(...latencies)), changeShownMs: latencies.map(Math.round),
        kbPerS: round(updates.reduce((s, u) => s + u.bytes, 0) / 1024 / seconds),
        renderedUpdatesPerS: round(rendered.length / seconds, 2),
        parsedToRenderedMsMedian: Math.round(median(rendered.map((u) => u.renderMs ?? NaN))),
      };
      expect(w.errors).toEqual([]);
      await w.context.close();
    }
    figures.browser = browserFigures;
    console.log(`[e2e-ui] live fleet, browser: ${JSON.stringify(browserFigures)}`);
  }, 600_000);
});
