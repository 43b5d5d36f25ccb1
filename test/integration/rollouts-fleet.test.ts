import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { RolloutView } from '../../src/core/upgrades/upgrade-types.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, until, type ErrorBody } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

let td: TestDaemon;
const FLEET = 20;
const BROKEN = ['fl-01', 'fl-02', 'fl-03'];
const health = { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0, timeoutSeconds: 1 };
// The same image; an agent whose workspace holds `broken` exits at once under the new command.
const command = ['/bin/sh', '-c', 'test -f /workspace/broken && { echo "broken workspace"; exit 3; }; exec /usr/bin/node /app/server.js'];

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'runtime.stopTimeoutSeconds': 2, 'monitor.flushIntervalMs': 200 } });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

async function makeFleet(tenant: string, names: string[]): Promise<Instance[]> {
  const made: Instance[] = [];
  for (let i = 0; i < names.length; i += 5) {
    const batch = await Promise.all(names.slice(i, i + 5).map((name) => createInstance(td, { tenant, name, health }, '?wait=running&timeout=120')));
    for (const b of batch) expect(b.body.status, JSON.stringify(b.body)).toBe('running');
    made.push(...batch.map((b) => b.body));
  }
  return made;
}

const rollout = (id: string) => td.api<RolloutView & ErrorBody>('GET', `/v1/rollouts/${id}`);

describe(`fleet rollouts (${testEnv.store})`, () => {
  let fleet: Instance[];

  it(`moves ${FLEET} instances in waves and stops past maxFailures with 3 broken; the rest untouched`, async () => {
    const names = Array.from({ length: FLEET }, (_, i) => `fl-${String(i).padStart(2, '0')}`);
    fleet = await makeFleet('fleet', names);
    for (const name of BROKEN) await fetch(`${fleet.find((f) => f.name === name)!.url}/workspace?file=broken`, { method: 'PUT', body: 'x' });

    const started = Date.now();
    const made = await td.api<RolloutView & ErrorBody>('POST', '/v1/rollouts', {
      selector: { tenant: 'fleet' }, patch: { command, env: { VERSION: '2' } }, maxParallel: 2, maxFailures: 2, rollout: { healthTimeoutSeconds: 60 },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.items.map((i) => i.instance)).toEqual(names);
    const done = await until(() => rollout(made.body.id), (r) => ['failed', 'succeeded'].includes(r.body.status), 300_000, 500);
    console.log(`[rollouts] ${FLEET} instances, 3 broken, maxParallel 2: ${done.body.status} after ${Date.now() - started} ms; counts ${JSON.stringify(done.body.counts)}`);
    expect(done.body.status).toBe('failed');
    expect(done.body.message).toContain('maxFailures 2');
    const byName = new Map(done.body.items.map((i) => [i.instance, i]));
    for (const name of BROKEN) expect(byName.get(name)!.status).toBe('failed');
    expect(byName.get('fl-00')!.status).toBe('succeeded');
    const skipped = done.body.items.filter((i) => i.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(FLEET - 6);
    expect(done.body.items.filter((i) => i.status === 'pending' || i.status === 'running')).toEqual([]);

    const now = (await td.api<{ items: Instance[] }>('GET', '/v1/instances?tenant=fleet&limit=100')).body.items;
    for (const inst of now) {
      const item = byName.get(inst.name)!;
      const before = fleet.find((f) => f.name === inst.name)!;
      if (item.status === 'succeeded') {
        expect(inst.revision).toBe(2);
        expect(await agent(inst, '/env/value?name=VERSION')).toEqual({ value: '2' });
      } else {
        // Broken ones rolled back; skipped ones never touched (same container, revision 1).
        expect(inst.revision).toBe(1);
        if (item.status === 'skipped') expect(inst.containerId).toBe(before.containerId);
      }
    }
    // Never two containers for one instance, never none.
    const containers = await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, 'berth.kind=instance'] } });
    const perInstance = new Map<string, number>();
    for (const c of containers) perInstance.set(c.Labels['berth.instance']!, (perInstance.get(c.Labels['berth.instance']!) ?? 0) + 1);
    for (const inst of now) expect({ name: inst.name, containers: perInstance.get(inst.id) }).toEqual({ name: inst.name, containers: 1 });
  }, 600_000);

  it('pause, resume and cancel; a tenant token rolls out over its own instances only', async () => {
    const own = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'fl-own', tenant: 'fleet' })).body.token;
    const other = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'fl-other', tenant: 'elsewhere' })).body.token;
    const body = { selector: { instances: ['fl-10', 'fl-11', 'fl-12', 'fl-13'] }, patch: { env: { WAVE: '3' } }, maxParallel: 1 };
    // Another tenant cannot name them (as if they did not exist), nor select the tenant.
    expect((await td.api('POST', '/v1/rollouts', body, other)).status).toBe(404);
    expect((await td.api('POST', '/v1/rollouts', { ...body, selector: { tenant: 'fleet' } }, other)).status).toBe(403);
    // Bad input: named, nothing made.
    const before = (await td.api<{ total: number }>('GET', '/v1/rollouts')).body.total;
    for (const [bad, field] of [
      [{ ...body, selector: { tenant: 'fleet', plan: 'starter' } }, 'selector'],
      [{ ...body, patch: {} }, 'patch'],
      [{ ...body, patch: { env: { '9X': 'y' } } }, 'env'],
      [{ ...body, patch: { image: 'no-such/image:x' } }, 'image'],
      [{ ...body, maxParallel: 0 }, 'maxParallel'],
    ] as Array<[unknown, string]>) {
      const res = await td.api<ErrorBody>('POST', '/v1/rollouts', bad, own);
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(res.body.error)).toContain(field);
    }
    expect((await td.api<{ total: number }>('GET', '/v1/rollouts')).body.total).toBe(before);

    const made = await td.api<RolloutView>('POST', '/v1/rollouts', body, own);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = made.body.id;
    expect((await td.api<RolloutView>('POST', `/v1/rollouts/${id}/actions`, { action: 'pause' }, own)).body.status).toBe('paused');
    // Repeating is harmless; the other tenant does not see it.
    expect((await td.api<RolloutView>('POST', `/v1/rollouts/${id}/actions`, { action: 'pause' }, own)).status).toBe(200);
    expect((await td.api('GET', `/v1/rollouts/${id}`, undefined, other)).status).toBe(404);
    expect((await td.api('POST', `/v1/rollouts/${id}/actions`, { action: 'cancel' }, other)).status).toBe(404);
    expect((await td.api<{ items: unknown[] }>('GET', '/v1/rollouts', undefined, other)).body.items).toEqual([]);
    // Paused: whatever was running finishes, nothing new starts.
    const paused = await until(() => rollout(id), (r) => r.body.counts.running === 0, 120_000, 300);
    const movedWhilePaused = paused.body.counts.succeeded;
    expect(movedWhilePaused).toBeLessThanOrEqual(1);
    expect(paused.body.counts.pending).toBe(4 - movedWhilePaused);

    expect((await td.api<RolloutView>('POST', `/v1/rollouts/${id}/actions`, { action: 'resume' }, own)).body.status).toBe('running');
    await until(() => rollout(id), (r) => r.body.counts.succeeded > movedWhilePaused, 120_000, 300);
    const cancelled = await td.api<RolloutView>('POST', `/v1/rollouts/${id}/actions`, { action: 'cancel' }, own);
    expect(cancelled.body.status).toBe('cancelled');
    const end = await until(() => rollout(id), (r) => r.body.counts.running === 0, 120_000, 300);
    expect(end.body.counts.pending).toBe(0);
    expect(end.body.counts.succeeded + end.body.counts.cancelled).toBe(4);
    expect(end.body.counts.cancelled).toBeGreaterThan(0);
    // A finished rollout cannot be resumed.
    expect((await td.api('POST', `/v1/rollouts/${id}/actions`, { action: 'resume' }, own)).status).toBe(409);
  }, 600_000);
});
