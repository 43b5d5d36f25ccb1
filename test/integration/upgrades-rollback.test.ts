import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { RevisionView, Upgrade } from '../../src/core/upgrades/upgrade-types.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, untilStatus, type ErrorBody } from '../helpers/instances.js';
import { eventsOf, types } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { downtimeWatch } from './upgrades-fixtures.js';

type Change = { instance: Instance; revision: RevisionView | null; upgrade: Upgrade | null; changed: boolean } & ErrorBody;

let td: TestDaemon;
let hook: Server;
const alerts: Array<{ event: string; instance: { name: string }; message: string; data: Record<string, unknown> }> = [];
// A second tag of the test agent, made (and removed) by this test: "a new image" without a pull.
const v2 = `berth/test-agent:i17a-${process.pid}`;
const health = { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0, timeoutSeconds: 1 };

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as (typeof alerts)[number]);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as AddressInfo).port;
  const [repo, tag] = v2.split(':') as [string, string];
  await rawDocker().getImage(testEnv.image).tag({ repo, tag });
  td = await startTestDaemon({
    yaml: `alerts:\n  webhooks:\n    - { url: "http://127.0.0.1:${port}/hook", events: [rollout-failed] }\n`,
    flags: { 'runtime.stopTimeoutSeconds': 2, 'monitor.flushIntervalMs': 200 },
  });
}, 120_000);
afterAll(async () => {
  await td?.cleanup();
  hook?.close();
  await rawDocker().getImage(v2).remove().catch(() => undefined);
});

async function containersOf(id: string): Promise<Array<{ Id: string; Names: string[]; State: string }>> {
  return rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${id}`] } });
}

describe(`upgrades: health-gated rollout with automatic rollback (${testEnv.store})`, () => {
  let inst: Instance;

  it('an upgrade to a good image: the new revision runs on the same port with the same workspace; downtime measured', async () => {
    const made = await createInstance(td, { tenant: 'upg', name: 'upg-a', health }, '?wait=running&timeout=90');
    expect(made.body.status).toBe('running');
    inst = made.body;
    expect(inst).toMatchObject({ revision: 1, previousRevision: null });
    await fetch(`${inst.url}/workspace?file=keep.txt`, { method: 'PUT', body: 'agent memory' });

    const watch = downtimeWatch(inst.url!);
    const started = Date.now();
    const res = await td.api<Change>('PATCH', `/v1/instances/${inst.name}?wait=true&timeout=120`, { image: v2, env: { VERSION: '2' }, reason: 'weekly image' });
    const tookMs = Date.now() - started;
    const gap = await watch.stop(async () => (await agent<{ value: string | null }>(inst, '/env/value?name=VERSION')).value === '2');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.upgrade).toMatchObject({ status: 'succeeded', fromRevision: 1, toRevision: 2, kind: 'upgrade' });
    expect(res.body.instance).toMatchObject({ revision: 2, previousRevision: 1, image: v2, hostPort: inst.hostPort, port: inst.port });
    console.log(`[upgrades] PATCH (image + env) → healthy new revision: ${tookMs} ms; no answer for ${gap.downtimeMs} ms `
      + `(berth's own measure ${res.body.upgrade!.downtimeMs} ms: old container stopped → new one healthy)`);
    expect(gap.downtimeMs).toBeGreaterThanOrEqual(0);

    const now = await untilStatus(td, inst.name, 'running');
    expect(now.containerId).not.toBe(inst.containerId);
    expect(await agent(now, '/env/value?name=VERSION')).toEqual({ value: '2' });
    expect(await agent(now, '/workspace?file=keep.txt')).toEqual({ content: 'agent memory' });
    // One container, under the instance's usual name.
    const containers = await containersOf(inst.id);
    expect(containers.map((c) => c.Names[0])).toEqual([`/berth-${td.scope}-${inst.name}`]);

    const revs = await td.api<{ items: RevisionView[]; current: number; previous: number | null }>('GET', `/v1/instances/${inst.name}/revisions`);
    expect(revs.body.current).toBe(2);
    expect(revs.body.previous).toBe(1);
    expect(revs.body.items.map((r) => [r.revision, r.current, r.changed])).toEqual([[2, true, ['image', 'env']], [1, false, []]]);
    expect(revs.body.items[0]).toMatchObject({ actor: 'admin', reason: 'weekly image' });
    expect(types(await eventsOf(td, inst.name))).toEqual(expect.arrayContaining(['upgrading', 'upgraded']));
  }, 240_000);

  it('a no-op PATCH answers 200 without a new revision; bad input is refused naming the field, nothing changed', async () => {
    const same = await td.api<Change>('PATCH', `/v1/instances/${inst.name}`, { env: { VERSION: '2' } });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ changed: false, revision: null, upgrade: null });
    const bad: Array<[unknown, number, string]> = [
      [{ env: { '1BAD': 'x' } }, 400, 'env'],
      [{ env: { OK: 5 } }, 400, 'env.OK'],
      [{ image: 'no-such/image:never' }, 422, 'image'],
      [{ plan: 'nope' }, 400, 'plan'],
      [{ name: 'renamed' }, 400, 'name'],
      [{ command: 'node server.js' }, 400, 'command'],
      [{ health: { intervalSeconds: 0.1 } }, 400, 'health.intervalSeconds'],
      [{ env: { X: '1' }, rollout: { failureAction: 'explode' } }, 400, 'rollout.failureAction'],
    ];
    for (const [body, status, field] of bad) {
      const res = await td.api<ErrorBody>('PATCH', `/v1/instances/${inst.name}`, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toContain(field);
    }
    // A plan change respects the tenant's allowed plans (and quota), as a create does.
    expect((await td.api('PUT', '/v1/tenants/upg/limits', { plans: ['starter'] })).status).toBe(200);
    const plan = await td.api<ErrorBody>('PATCH', `/v1/instances/${inst.name}`, { plan: 'pro' });
    expect({ status: plan.status, code: plan.body.error?.code, field: plan.body.error?.field }).toEqual({ status: 403, code: 'QUOTA_EXCEEDED', field: 'plan' });
    expect((await td.api('PUT', '/v1/tenants/upg/limits', { reset: ['plans'] })).status).toBe(200);
    const revs = await td.api<{ total: number }>('GET', `/v1/instances/${inst.name}/revisions`);
    expect(revs.body.total).toBe(2);
    // Another tenant's token does not learn the instance exists.
    const other = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'upg-other', tenant: 'someone-else' })).body.token;
    expect((await td.api('PATCH', `/v1/instances/${inst.name}`, { env: { X: '1' } }, other)).status).toBe(404);
    expect((await td.api('GET', `/v1/instances/${inst.name}/revisions`, undefined, other)).status).toBe(404);
    expect((await td.api('POST', `/v1/instances/${inst.name}/rollback`, {}, other)).status).toBe(404);
  }, 120_000);

  it('an upgrade whose health check fails is rolled back within its deadline: the old revision healthy again, events and an alert', async () => {
    const before = await untilStatus(td, inst.name, 'running');
    const started = Date.now();
    const res = await td.api<Change>('PATCH', `/v1/instances/${inst.name}?wait=true`, { env: { HEALTH_FAIL: '1' }, rollout: { healthTimeoutSeconds: 30 } });
    const tookMs = Date.now() - started;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.upgrade).toMatchObject({ status: 'rolled-back', fromRevision: 2, toRevision: 3 });
    console.log(`[upgrades] failing health → rolled back after ${tookMs} ms (deadline 30 s; failureThreshold 3 × 1 s)`);
    expect(tookMs).toBeLessThan(60_000);
    const back = await untilStatus(td, inst.name, 'running');
    expect(back).toMatchObject({ revision: 2, hostPort: before.hostPort, image: v2 });
    expect(await agent(back, '/env/value?name=HEALTH_FAIL')).toEqual({ value: null });
    expect(await agent(back, '/workspace?file=keep.txt')).toEqual({ content: 'agent memory' });
    expect((await containersOf(inst.id)).length).toBe(1);
    const events = await eventsOf(td, inst.name);
    const failed = events.find((e) => e.type === 'rollout-failed' && e.data?.toRevision === 3)!;
    expect(failed.message).toContain('health');
    expect(Array.isArray(failed.data?.logs)).toBe(true);
    expect(types(events.slice(events.indexOf(failed)))).toContain('rolled-back');
    const alert = await waitFor(() => alerts.find((a) => a.event === 'rollout-failed' && a.instance.name === inst.name));
    expect(alert.message).toContain('revision 3');
    // Revision 3 stays in the history; the instance is on 2.
    const revs = await td.api<{ items: RevisionView[]; current: number }>('GET', `/v1/instances/${inst.name}/revisions`);
    expect(revs.body.current).toBe(2);
    expect(revs.body.items.map((r) => r.revision)).toEqual([3, 2, 1]);
  }, 180_000);

  it('a new container that exits is rolled back with its exit code and last log lines', async () => {
    const res = await td.api<Change>('PATCH', `/v1/instances/${inst.name}?wait=true`, {
      command: ['/bin/sh', '-c', 'echo "config missing: cannot start with key $API_KEY"; exit 3'], secrets: { API_KEY: 'sup3r-s3cret-value' }, rollout: { healthTimeoutSeconds: 60 },
    });
    expect(res.body.upgrade?.status, JSON.stringify(res.body)).toBe('rolled-back');
    expect(res.body.upgrade?.message).toContain('code 3');
    const failed = (await eventsOf(td, inst.name)).filter((e) => e.type === 'rollout-failed').pop()!;
    expect(failed.data).toMatchObject({ exitCode: 3, toRevision: 4 });
    expect(JSON.stringify(failed.data?.logs)).toContain('config missing');
    // The secret the agent printed is masked in the event; revisions name it, never show it.
    expect(JSON.stringify(failed.data?.logs)).not.toContain('sup3r-s3cret-value');
    const revs = await td.api('GET', `/v1/instances/${inst.name}/revisions`);
    expect(JSON.stringify(revs.body)).toContain('API_KEY');
    expect(JSON.stringify(revs.body)).not.toContain('sup3r-s3cret-value');
    expect(JSON.stringify((await td.api('GET', `/v1/instances/${inst.name}/upgrades`)).body)).not.toContain('sup3r-s3cret-value');
    expect((await untilStatus(td, inst.name, 'running')).revision).toBe(2);
  }, 180_000);

  it('rollback on request goes to an earlier revision, health-gated', async () => {
    const res = await td.api<Change>('POST', `/v1/instances/${inst.name}/rollback?wait=true`, { revision: 1 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.upgrade).toMatchObject({ kind: 'rollback', status: 'succeeded', fromRevision: 2, toRevision: 1 });
    const now = await untilStatus(td, inst.name, 'running');
    expect(now).toMatchObject({ revision: 1, previousRevision: 2, image: testEnv.image });
    expect(await agent(now, '/env/value?name=VERSION')).toEqual({ value: null });
    expect(await agent(now, '/workspace?file=keep.txt')).toEqual({ content: 'agent memory' });
    // Repeated: to the revision it is on is refused; a revision that never was, too.
    expect((await td.api<ErrorBody>('POST', `/v1/instances/${inst.name}/rollback`, { revision: 1 })).body.error.field).toBe('revision');
    expect((await td.api<ErrorBody>('POST', `/v1/instances/${inst.name}/rollback`, { revision: 99 })).status).toBe(400);
    const upgrades = await td.api<{ items: Upgrade[] }>('GET', `/v1/instances/${inst.name}/upgrades`);
    expect(upgrades.body.items.map((u) => u.status)).toEqual(['succeeded', 'rolled-back', 'rolled-back', 'succeeded']);
  }, 180_000);

  it('a stopped instance takes the new revision without a rollout; its next start runs it', async () => {
    await td.api('POST', `/v1/instances/${inst.name}/actions`, { action: 'stop' });
    await untilStatus(td, inst.name, 'stopped');
    const res = await td.api<Change>('PATCH', `/v1/instances/${inst.name}?wait=true`, { env: { VERSION: 'stopped-change' } });
    expect(res.body.upgrade?.status, JSON.stringify(res.body)).toBe('succeeded');
    expect((await td.api<Instance>('GET', `/v1/instances/${inst.name}`)).body).toMatchObject({ status: 'stopped', revision: 5 });
    const started = await td.api<Instance>('POST', `/v1/instances/${inst.name}/actions?wait=running&timeout=60`, { action: 'start' });
    expect(started.body.status).toBe('running');
    expect(await agent(started.body, '/env/value?name=VERSION')).toEqual({ value: 'stopped-change' });
  }, 180_000);

  it('failureAction pause leaves the failing revision to the monitor; a rollback on request brings the previous one back', async () => {
    const res = await td.api<Change>('PATCH', `/v1/instances/${inst.name}?wait=true`, { env: { HEALTH_FAIL: '1' }, rollout: { healthTimeoutSeconds: 20, failureAction: 'pause' } });
    expect(res.body.upgrade, JSON.stringify(res.body)).toMatchObject({ status: 'paused', toRevision: 6 });
    const held = (await td.api<Instance>('GET', `/v1/instances/${inst.name}`)).body;
    expect(held.revision).toBe(6);
    expect(held.status).not.toBe('upgrading');
    expect((await containersOf(inst.id)).length).toBe(1);
    const back = await td.api<Change>('POST', `/v1/instances/${inst.name}/rollback?wait=true`, {});
    expect(back.body.upgrade, JSON.stringify(back.body)).toMatchObject({ kind: 'rollback', status: 'succeeded', toRevision: 5 });
    const now = await untilStatus(td, inst.name, 'running');
    expect(await agent(now, '/env/value?name=HEALTH_FAIL')).toEqual({ value: null });
  }, 180_000);
});

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
