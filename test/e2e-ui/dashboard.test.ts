import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { runBerth } from '../helpers/cli.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { ARTIFACTS, goto, launchBrowser, openPage, unnamedControls, watchUntil, type WatchedPage } from './browser.js';

interface InstanceBody { id: string; name: string; status: string; hostPort: number | null; containerId: string | null; restarts: number; startedAt: string | null }
interface ErrorBody { error: { code: string; message: string; field?: string } }

const badge = (page: Page) => page.locator('#instance-title + .badge').textContent();

async function login(w: WatchedPage, url: string, token: string): Promise<void> {
  await goto(w.page, `${url}/`);
  await w.page.waitForURL(/\/ui\/$/, { timeout: 15_000 });
  await w.page.getByLabel('API token').fill(token);
  await w.page.getByRole('button', { name: 'Sign in' }).click();
  await w.page.getByRole('heading', { name: /^Fleet/ }).waitFor();
}

/** Runs a command in the container that writes one line to its stdout (PID 1's fd 1), as the agent would log. */
async function writeLogLine(containerId: string, line: string): Promise<void> {
  const exec = await rawDocker().getContainer(containerId).exec({
    Cmd: ['node', '-e', `require('fs').writeFileSync('/proc/1/fd/1', ${JSON.stringify(`${line}\n`)})`], AttachStdout: true, AttachStderr: true,
  });
  const stream = await exec.start({});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('exec did not finish in 20 s')), 20_000);
    stream.on('end', () => { clearTimeout(timer); resolve(); });
    stream.on('error', reject);
    stream.resume();
  });
}

describe('dashboard in a real browser against a real berth and engine', () => {
  let td: TestDaemon;
  let browser: Browser;
  let admin: WatchedPage;

  beforeAll(async () => {
    td = await startTestDaemon({
      // Unhealthy lasts a few probes before the monitor restarts it, long enough to see.
      flags: { 'health.failureThreshold': 5, 'health.startPeriodSeconds': 1 },
    });
    browser = await launchBrowser();
    admin = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await td?.cleanup();
  });

  it('redirects / to /ui/, serves hashed assets with long-lived caching, and logs in with a pasted token', async () => {
    const root = await fetch(`${td.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const index = await fetch(`${td.url}/ui/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /assets\/[^"]+\.js/.exec(await index.text())?.[0];
    expect(asset).toBeTruthy();
    const js = await fetch(`${td.url}/ui/${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');

    await login(admin, td.url, td.token);
    await admin.page.getByText('No instances yet').waitFor();
    await expect(admin.page.getByRole('link', { name: 'create one' }).isVisible()).resolves.toBe(true);
    // The token is in sessionStorage, not in the URL or a cookie.
    expect(admin.page.url()).not.toContain(td.token);
    expect(await admin.context.cookies()).toEqual([]);
    expect(await admin.page.evaluate('sessionStorage.getItem("berth.token")')).toBe(td.token);
  });

  it('signs in with the one-time link `berth ui` prints, which cannot be used twice', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', BERTH_URL: td.url, BERTH_TOKEN: td.token };
    const cli = await runBerth(['ui', '--json'], env, { timeoutMs: 60_000 });
    expect(cli.code, cli.stderr).toBe(0);
    const link = JSON.parse(cli.stdout) as { url: string; expiresAt: string };
    expect(link.url.startsWith(`${td.url}/ui/#/login?code=`)).toBe(true);
    expect(link.url).not.toContain(td.token);
    const text = await runBerth(['ui'], env, { timeoutMs: 60_000 });
    expect(text.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/#\/login\?code=\S+\n.*works once/);

    const w = await openPage(browser);
    await goto(w.page, link.url);
    await w.page.getByRole('heading', { name: /^Fleet/ }).waitFor().catch(async (error: unknown) => {
      throw new Error(`no fleet after the login link; the page says: ${await w.page.locator('body').textContent()}`, { cause: error });
    });
    const code = link.url.split('code=')[1]!;
    expect(w.page.url()).not.toContain(code);
    const again = await openPage(browser);
    await goto(again.page, link.url);
    await again.page.getByText('already used or has expired').waitFor();
    await w.context.close();
    await again.context.close();
  });

  it('shows the API\'s validation message next to the field at fault', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Create', exact: true }).click();
    await page.getByLabel('Tenant').waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByLabel('Tenant').fill('Not_A_Slug');
    await page.getByLabel('Image').fill(testEnv.image);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const apiAnswer = await td.api<ErrorBody>('POST', '/v1/instances', { tenant: 'Not_A_Slug', image: testEnv.image, port: 8080, env: {}, secrets: {}, health: { path: '/health' } });
    expect(apiAnswer.status).toBe(400);
    expect(apiAnswer.body.error.field).toBe('tenant');
    await expect(page.locator('#c-tenant-error').textContent({ timeout: 15_000 })).resolves.toBe(apiAnswer.body.error.message);
    expect(await page.getByLabel('Tenant').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').count()).toBe(1);

    await page.getByLabel('Tenant').fill('acme');
    await page.getByLabel('Container port').fill('70000');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('#c-port-error').getByText(/port/).waitFor({ timeout: 15_000 });
  });

  it('creates an instance from the form and watches it go creating → running', async () => {
    const { page } = admin;
    await page.getByLabel('Name').fill('ui-agent');
    await page.getByLabel('Container port').fill('8080');
    await page.getByLabel('Environment').fill('LOG_LEVEL=info');
    await page.getByLabel('Secrets').fill('API_KEY=never-shown-3141');
    await page.getByLabel('Health interval (seconds)').fill('1');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'ui-agent' }).waitFor({ timeout: 30_000 });
    const seen = await watchUntil(() => badge(page), (s) => s === 'running', 90_000, 'ui-agent running');
    console.log(`[e2e-ui] statuses seen on the instance page: ${seen.join(' → ')}`);
    expect(seen[0]).toMatch(/creating|starting/);
    expect(seen[seen.length - 1]).toBe('running');
    const text = await page.locator('main').textContent();
    expect(text).toContain('API_KEY');
    expect(text).toContain('LOG_LEVEL');
    expect(text).not.toContain('never-shown-3141');
    const events = await page.locator('.events').textContent();
    expect(events).toContain('created');
  });

  it('follows the logs and shows a line the test writes', async () => {
    const { page } = admin;
    const inst = (await td.api<InstanceBody>('GET', '/v1/instances/ui-agent')).body;
    await page.getByTestId('logs').getByText('listening on 8080').waitFor({ timeout: 30_000 });
    const marker = `e2e-marker-${Date.now()}`;
    await writeLogLine(inst.containerId!, marker);
    await page.getByTestId('logs').getByText(marker).waitFor({ timeout: 30_000 });
    // Search narrows the lines; pause holds new ones back.
    await page.getByLabel('Search', { exact: true }).fill(marker);
    expect(await page.getByTestId('logs').locator('div').count()).toBe(1);
    await page.getByLabel('Search', { exact: true }).fill('');
  });

  it('shows the instance turn unhealthy when its agent fails and come back after the restart', async () => {
    const { page } = admin;
    const before = (await td.api<InstanceBody>('GET', '/v1/instances/ui-agent')).body;
    const res = await fetch(`http://127.0.0.1:${before.hostPort}/fail`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    const seen = await watchUntil(() => badge(page), (s) => s === 'unhealthy', 60_000, 'ui-agent unhealthy');
    expect(Number(await page.getByTestId('failures').textContent())).toBeGreaterThan(0);
    const back = await watchUntil(() => badge(page), (s) => s === 'running', 120_000, 'ui-agent running again');
    console.log(`[e2e-ui] after /fail: ${[...seen, ...back].join(' → ')}`);
    const after = (await td.api<InstanceBody>('GET', '/v1/instances/ui-agent')).body;
    expect(after.restarts).toBeGreaterThan(before.restarts);
    await page.locator('.events').getByText('unhealthy').first().waitFor({ timeout: 15_000 });
  });

  it('restarts from the page after a confirmation that names the instance', async () => {
    const { page } = admin;
    const before = (await td.api<InstanceBody>('GET', '/v1/instances/ui-agent')).body;
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Restart ui-agent?' }).waitFor();
    await dialog.getByRole('button', { name: 'Restart ui-agent' }).click();
    await page.getByText(/restart accepted: ui-agent is/).waitFor({ timeout: 60_000 });
    await watchUntil(async () => {
      const now = (await td.api<InstanceBody>('GET', '/v1/instances/ui-agent')).body;
      return `${now.containerId}@${now.startedAt}`;
    }, (v) => v !== `${before.containerId}@${before.startedAt}`, 60_000, 'a new start of the container');
    await watchUntil(() => badge(page), (s) => s === 'running', 90_000, 'running after restart');
    // Wait for a couple of stats samples so the chart has a line, then keep a screenshot.
    await page.getByText(/^CPU \d/).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'instance-page.png'), fullPage: true });
    expect(await unnamedControls(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'instance-page-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('a tenant token sees its own tenant only; admin pages are hidden and refused', async () => {
    const other = await td.api<InstanceBody>('POST', '/v1/instances', { tenant: 'globex', name: 'globex-agent', image: testEnv.image, port: 8080 });
    expect(other.status).toBe(202);
    // Mint the tenant token from the tokens page: shown once, with a copy button.
    const { page } = admin;
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Name').fill('acme-ui');
    await page.getByLabel('Tenant (empty: admin)').fill('acme');
    await page.getByRole('button', { name: 'Create token' }).click();
    const tenantToken = (await page.getByTestId('new-token').textContent({ timeout: 15_000 }))!.trim();
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await page.getByRole('row', { name: /acme-ui/ }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);

    const t = await openPage(browser);
    await login(t, td.url, tenantToken);
    await t.page.locator('tr[data-instance="ui-agent"]').waitFor();
    expect(await t.page.locator('tr[data-instance="globex-agent"]').count()).toBe(0);
    expect(await t.page.getByRole('link', { name: 'Tokens' }).count()).toBe(0);
    expect(await t.page.getByRole('link', { name: 'System' }).count()).toBe(0);
    await goto(t.page, `${td.url}/ui/#/tokens`);
    await t.page.getByText('This page needs an admin token.').waitFor();
    await goto(t.page, `${td.url}/ui/#/instances/globex-agent`);
    const refused = await td.api<ErrorBody>('GET', '/v1/instances/globex-agent', undefined, tenantToken);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await t.page.getByRole('alert').getByText(refused.body.error.message).waitFor({ timeout: 15_000 });
    expect((await td.api<ErrorBody>('GET', '/v1/tokens', undefined, tenantToken)).status).toBe(403);
    expect(t.errors).toEqual([]);
    await t.context.close();
  });

  it('fleet view: counts by status, filters, attention first; screenshots at 1280×800 and phone width', async () => {
    const { page } = admin;
    await td.api('POST', '/v1/instances', { tenant: 'initech', name: 'initech-flaky', image: testEnv.image, port: 8080, env: { HEALTH_FAIL: '1' }, health: { intervalSeconds: 1 } });
    const stopped = await td.api('POST', '/v1/instances', { tenant: 'initech', name: 'initech-idle', image: testEnv.image, port: 8080 });
    expect(stopped.status).toBe(202);
    await watchUntil(async () => (await td.api<InstanceBody>('GET', '/v1/instances/initech-idle')).body.status, (s) => s === 'running', 90_000, 'initech-idle running');
    expect((await td.api('POST', '/v1/instances/initech-idle/actions', { action: 'stop' })).status).toBe(200);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.locator('tr[data-instance="initech-flaky"]').waitFor();
    await watchUntil(() => page.locator('tr[data-instance="initech-flaky"] .badge').textContent(), (s) => s !== 'creating' && s !== 'starting', 90_000, 'flaky judged');
    await watchUntil(() => page.locator('tr[data-instance="initech-idle"] .badge').textContent(), (s) => s === 'stopped', 60_000, 'idle stopped');
    // Attention first: a failing instance sorts above the running ones.
    const first = await page.locator('tbody tr').first().getAttribute('data-instance');
    const flakyStatus = await page.locator('tr[data-instance="initech-flaky"] .badge').textContent();
    if (['unhealthy', 'crashloop', 'failed'].includes(flakyStatus!)) expect(first).toBe('initech-flaky');
    await page.locator('#f-tenant').selectOption('initech');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.locator('#f-tenant').selectOption('');
    await page.getByLabel('Search').fill('globex');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Search').fill('');
    await page.locator('[data-count="stopped"]').click();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.locator('[data-count="stopped"]').click();
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-real-1280.png') });
    expect(await unnamedControls(page)).toEqual([]);
    // Keyboard only: search, then Tab through the controls to the first row's link and open it.
    await page.getByLabel('Search').focus();
    await page.keyboard.type('globex');
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'globex-agent'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""');
    }
    expect(focused).toBe('globex-agent');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'globex-agent' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: /^Fleet/ }).waitFor();
    await page.getByLabel('Search').fill('');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-real-phone.png'), fullPage: true });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('jobs: create one for the instance, run it now, see its history; system: components and orphans', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByText('No jobs yet.').waitFor();
    await page.getByLabel('Name').fill('ui-version');
    await page.getByLabel('Cron schedule').fill('0 3 * * *');
    await page.getByLabel('Instance').fill('ui-agent');
    await page.getByLabel('Action').selectOption('exec');
    await page.getByLabel('Command').fill('node --version');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('row', { name: /ui-version/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Run ui-version now' }).click();
    await page.locator('.card ol.events').getByText(/succeeded/).waitFor({ timeout: 60_000 });
    // The instance page lists the job that targets it.
    await goto(page, `${td.url}/ui/#/instances/ui-agent`);
    await page.getByRole('heading', { name: 'Jobs targeting it' }).waitFor();
    await page.getByText(/ui-version/).first().waitFor({ timeout: 15_000 });

    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('row', { name: /runtime/ }).getByText('up').waitFor({ timeout: 15_000 });
    await page.getByRole('row', { name: /store/ }).waitFor();
    await page.getByRole('heading', { name: 'Orphans' }).waitFor();
    await page.getByRole('button', { name: 'Remove orphans (gc)' }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
  });

  it('deletes from the page after a confirmation, with keyboard only', async () => {
    const { page } = admin;
    await goto(page, `${td.url}/ui/#/instances/ui-agent`);
    await page.getByRole('heading', { name: 'ui-agent' }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/removes ui-agent's container/).waitFor();
    // Escape cancels; nothing is deleted.
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete ui-agent' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Fleet/ }).waitFor({ timeout: 60_000 });
    await watchUntil(async () => (await td.api('GET', '/v1/instances/ui-agent')).status, (s) => s === 404, 60_000, 'ui-agent gone');
    await watchUntil(() => page.locator('tr[data-instance="ui-agent"]').count(), (n) => n === 0, 15_000, 'row gone');
    expect(admin.errors).toEqual([]);
  });
});
