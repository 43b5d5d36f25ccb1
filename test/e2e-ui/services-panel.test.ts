import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { testEnv } from '../helpers/env.js';
import { createInstance } from '../helpers/instances.js';
import { serviceOf, type Service } from '../helpers/supervision.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { ARTIFACTS, goto, launchBrowser, openPage, unnamedControls, watchUntil, type WatchedPage } from './browser.js';

/**
 * The services panel of the instance page against the real berth/s6-agent image (s6-svscan as
 * PID 1 supervising web, worker and ticker) on the real engine: list with state, actions behind
 * a confirmation driven from the keyboard, the ticker's s6-log tail.
 */
describe('services panel in a real browser (s6 inside the instance)', () => {
  let td: TestDaemon;
  let browser: Browser;
  let w: WatchedPage;
  const base = '/v1/instances/svc-ui';

  beforeAll(async () => {
    // No monitor: nothing but the test acts on the services while it runs.
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'scheduler.enabled': false } });
    const [s6, plain] = await Promise.all([
      createInstance(td, { tenant: 'acme', name: 'svc-ui', image: testEnv.s6Image }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'acme', name: 'plain-ui', image: testEnv.image }, '?wait=running&timeout=90'),
    ]);
    expect([s6.status, plain.status], JSON.stringify([s6.body, plain.body])).toEqual([201, 201]);
    browser = await launchBrowser();
    w = await openPage(browser);
    await w.context.addInitScript(`sessionStorage.setItem('berth.token', ${JSON.stringify(td.token)})`);
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await td?.cleanup();
  });

  const row = (name: string) => w.page.locator(`tr[data-service="${name}"]`);
  const stateOf = (name: string) => row(name).locator('[data-state]').getAttribute('data-state');

  it('lists the services with their state and process, every control named', async () => {
    await goto(w.page, `${td.url}/ui/#/instances/svc-ui`);
    await w.page.getByRole('heading', { name: 'Services' }).waitFor({ timeout: 30_000 });
    await watchUntil(() => w.page.locator('table.services tbody tr').count(), (c) => c === 3, 30_000, 'three service rows');
    const names = await w.page.locator('table.services tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')));
    expect(names).toEqual(['ticker', 'web', 'worker']);
    for (const name of names) {
      expect(await stateOf(name!)).toBe('up');
      const api = (await serviceOf(td, base, name!)).body;
      await expect(row(name!).textContent()).resolves.toContain(`pid ${api.pid}`);
    }
    expect(await unnamedControls(w.page)).toEqual([]);
    await w.page.locator('section[aria-labelledby="services-title"]').screenshot({ path: path.join(ARTIFACTS, 'services-panel.png') });
    expect(w.errors).toEqual([]);
  });

  it('stops a service from the keyboard after a confirmation naming it, starts and restarts it with clicks', async () => {
    const before = (await serviceOf(td, base, 'worker')).body;
    const stop = w.page.getByRole('button', { name: 'Stop service worker', exact: true });
    await stop.focus();
    await w.page.keyboard.press('Enter');
    const dialog = w.page.getByRole('dialog');
    await expect(dialog.getByRole('heading').textContent()).resolves.toBe('Stop service worker in svc-ui?');
    // Cancel first: Escape closes the dialog and nothing changes.
    await w.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await serviceOf(td, base, 'worker')).body.state).toBe('up');

    await stop.focus();
    await w.page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Stop worker', exact: true }).focus();
    await w.page.keyboard.press('Enter');
    await w.page.getByTestId('service-outcome').getByText('worker is down').waitFor({ timeout: 30_000 });
    const down = (await serviceOf(td, base, 'worker')).body;
    expect(down).toMatchObject({ state: 'down', wantUp: false, pid: null });
    await watchUntil(() => stateOf('worker'), (s) => s === 'down', 15_000, 'worker shown down');
    await expect(row('worker').textContent()).resolves.toContain('killed by SIGTERM');
    expect(await w.page.getByRole('button', { name: 'Stop service worker', exact: true }).isDisabled()).toBe(true);
    expect(await w.page.getByRole('button', { name: 'Restart service worker', exact: true }).isDisabled()).toBe(true);

    await w.page.getByRole('button', { name: 'Start service worker', exact: true }).click();
    await w.page.getByRole('dialog').getByRole('button', { name: 'Start worker', exact: true }).click();
    await w.page.getByTestId('service-outcome').getByText(/^worker is up \(pid \d+\)$/).waitFor({ timeout: 30_000 });
    const up = (await serviceOf(td, base, 'worker')).body as Service;
    expect(up.state).toBe('up');
    expect(up.pid).not.toBe(before.pid);

    await w.page.getByRole('button', { name: 'Restart service worker', exact: true }).click();
    await w.page.getByRole('dialog').getByRole('button', { name: 'Restart worker', exact: true }).click();
    await watchUntil(async () => (await serviceOf(td, base, 'worker')).body.pid, (pid) => pid !== null && pid !== up.pid, 30_000, 'a new worker pid');
    const restarted = (await serviceOf(td, base, 'worker')).body;
    await w.page.getByTestId('service-outcome').getByText(`worker is up (pid ${restarted.pid})`).waitFor({ timeout: 30_000 });

    const events = await td.api<{ items: Array<{ type: string; data: { service?: string } | null }> }>('GET', `${base}/events`);
    const types = events.body.items.filter((e) => e.data?.service === 'worker').map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['service-down', 'service-up', 'service-restarted']));
    expect(w.errors).toEqual([]);
  });

  it('tails the s6-log of a service that has one and says so for one that has none', async () => {
    await w.page.getByRole('button', { name: 'Log of service ticker' }).click();
    const log = w.page.getByTestId('service-log');
    // ticker prints "tick N" every second: the tail grows while it is shown.
    const first = await watchUntil(async () => ((await log.textContent()) ?? '').match(/tick (\d+)/g)?.length ?? 0, (n) => n > 0, 30_000, 'tick lines');
    const lastTick = async (): Promise<number> => Number(/tick (\d+)(?!.*tick)/s.exec((await log.textContent()) ?? '')?.[1] ?? 0);
    const seen = await lastTick();
    await watchUntil(lastTick, (n) => n > seen, 30_000, 'a newer tick line');
    expect(first.length).toBeGreaterThan(0);
    await w.page.locator('section[aria-labelledby="services-title"]').screenshot({ path: path.join(ARTIFACTS, 'services-panel-log.png') });

    await w.page.getByRole('button', { name: 'Log of service web' }).click();
    await w.page.getByText('web does not log through s6-log').waitFor({ timeout: 15_000 });
    expect(w.errors).toEqual([]);
  });

  it('shows no services panel for an instance whose image does not run s6, not even the last instance\'s for a moment', async () => {
    // Straight from svc-ui's page (the tests above), as a user following a link would.
    const refused = w.page.waitForResponse((r) => /\/v1\/instances\/[^/]+\/services$/.test(new URL(r.url()).pathname) && r.status() === 409, { timeout: 30_000 });
    await goto(w.page, `${td.url}/ui/#/instances/plain-ui`);
    await w.page.getByRole('heading', { name: 'plain-ui' }).waitFor({ timeout: 30_000 });
    // Before the 409 arrives: svc-ui's panel must not be carried over to plain-ui's page.
    expect(await w.page.getByRole('heading', { name: 'Services' }).count()).toBe(0);
    const answer = await td.api<{ error: { code: string } }>('GET', '/v1/instances/plain-ui/services');
    expect(answer.body.error.code).toBe('NO_SUPERVISOR');
    await refused;
    await w.page.getByRole('heading', { name: 'Logs' }).waitFor();
    expect(await w.page.getByRole('heading', { name: 'Services' }).count()).toBe(0);
    expect(w.errors).toEqual([]);
  });
});
