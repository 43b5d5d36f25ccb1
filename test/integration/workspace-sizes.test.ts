import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, until } from '../helpers/instances.js';
import { execIn } from '../helpers/supervision.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type Workspace = { id: string; tenant: string; volume: string; instanceName: string; sizeBytes: number | null; sizeMeasuredAt: string | null };

/** A kept workspace's size, from the engine's disk-usage walk: API (list and one) and CLI. */
let td: TestDaemon;

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'monitor.enabled': false } });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`kept workspace sizes (${testEnv.store})`, () => {
  it('GET /v1/workspaces and /v1/workspaces/{id} and berth workspaces report the bytes in the volume; other tenants see nothing', async () => {
    const made = await createInstance(td, { tenant: 'sized', name: 'sized' }, '?wait=running&timeout=90');
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(await execIn(made.body.containerId!, ['sh', '-c', 'dd if=/dev/zero of=/workspace/blob bs=1048576 count=3 2>/dev/null'])).toBe(0);
    expect((await td.api('DELETE', '/v1/instances/sized?keepData=true')).status).toBe(200);

    const token = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'sized-token', tenant: 'sized' })).body.token;
    // The engine walks its volumes on demand (a request waits up to 5 s for it): the size appears.
    const listed = await until(() => td.api<{ items: Workspace[]; total: number }>('GET', '/v1/workspaces', undefined, token),
      (r) => r.body.items[0]?.sizeBytes !== null && r.body.items[0]?.sizeBytes !== undefined, 60_000, 500);
    const ws = listed.body.items[0]!;
    expect(ws).toMatchObject({ tenant: 'sized', instanceName: 'sized' });
    expect(ws.sizeBytes).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    expect(ws.sizeBytes).toBeLessThan(64 * 1024 * 1024);
    expect(Date.parse(ws.sizeMeasuredAt ?? '')).toBeGreaterThan(Date.now() - 120_000);

    const one = await td.api<Workspace>('GET', `/v1/workspaces/${ws.id}`, undefined, token);
    expect(one.body.sizeBytes).toBe(ws.sizeBytes);
    const other = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'other-token', tenant: 'other' })).body.token;
    expect((await td.api('GET', `/v1/workspaces/${ws.id}`, undefined, other)).status).toBe(404);
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces', undefined, other)).body.total).toBe(0);
    expect((await td.api('GET', '/v1/workspaces?tenant=sized', undefined, other)).status).toBe(403);

    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: token };
    const ls = await runBerth(['workspaces', 'ls', '--json'], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as { items: Workspace[] }).items[0]).toMatchObject({ id: ws.id, sizeBytes: ws.sizeBytes });
    const table = await runBerth(['workspaces', 'ls'], env);
    expect(table.stdout).toMatch(new RegExp(`${ws.id}\\s+sized\\s+sized\\s+3(\\.\\d)? ?MiB`));
    const show = await runBerth(['workspaces', 'show', ws.id], env);
    expect(show.stdout).toMatch(/size\s+3(\.\d)? ?MiB \(measured/);
    const rm = await runBerth(['workspaces', 'rm', ws.id, '--yes', '--json'], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces', undefined, token)).body.total).toBe(0);
  }, 180_000);
});
