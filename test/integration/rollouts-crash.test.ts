import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { RolloutView, Upgrade } from '../../src/core/upgrades/upgrade-types.js';
import { freePort } from '../helpers/cli.js';
import { spawnBerth, type DaemonProcess } from '../helpers/daemon-process.js';
import { storeUrlFor } from '../helpers/databases.js';
import { rawDocker, removeScope } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { until } from '../helpers/instances.js';
import { uniqueScope } from '../helpers/test-daemon.js';

const COUNT = 4;

/**
 * berth (a real process) is SIGKILLed while a fleet rollout has an instance between its old and
 * new container, then started again on the same store: the rollout resumes and finishes, and at
 * no point after the restart is an instance left on two containers or none.
 */
describe(`SIGKILL mid-rollout (${testEnv.store})`, () => {
  const scope = uniqueScope('rcrash');
  const procs: DaemonProcess[] = [];
  let drop: () => Promise<void> = async () => undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await removeScope(scope);
    await drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the rollout after a restart; every instance ends on the new revision with exactly one container', async () => {
    const db = await storeUrlFor(testEnv.store);
    drop = db.drop;
    const env = { DATABASE_URL: db.url, BERTH_SCOPE: scope, BERTH_LOG_LEVEL: 'warn', BERTH_SCHEDULER_ENABLED: 'false' };
    const first = spawnBerth(['serve'], env, { port: await freePort() });
    procs.push(first);
    dataDir = first.dataDir;
    await first.waitReady(60_000);
    const token = readFileSync(path.join(first.dataDir, 'admin.token'), 'utf8').trim();
    const call = <T = Record<string, unknown>>(p: DaemonProcess, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> =>
      fetch(`${p.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as T }), () => ({ status: 0, body: {} as T }));

    const health = { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0, timeoutSeconds: 1 };
    const made = await Promise.all(Array.from({ length: COUNT }, (_, i) => call<Instance>(first, 'POST', '/v1/instances?wait=running&timeout=120', { tenant: 'rc', name: `rc-${i}`, image: testEnv.image, health })));
    for (const m of made) expect(m.body.status, JSON.stringify(m.body)).toBe('running');

    // A slow-booting new revision: the window between "old stopped" and "new healthy" is seconds wide.
    const rollout = await call<RolloutView>(first, 'POST', '/v1/rollouts', {
      selector: { tenant: 'rc' }, patch: { env: { VERSION: '2', BOOT_DELAY_MS: '2500' } }, maxParallel: 2, rollout: { healthTimeoutSeconds: 90 },
    });
    expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
    // Kill once some instance is switched over (old container stopped, new one not yet healthy).
    const switched = await until(async () => {
      for (const m of made) {
        const ups = await call<{ items: Upgrade[] }>(first, 'GET', `/v1/instances/${m.body.name}/upgrades`);
        if (ups.body.items?.some((u) => u.status === 'running' && u.phase === 'switched')) return m.body.name;
      }
      return undefined;
    }, (n) => n !== undefined, 60_000, 50);
    expect(switched).toBeDefined();
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = spawnBerth(['serve'], env, { dataDir: first.dataDir, port: await freePort() });
    procs.push(second);
    await second.waitReady(120_000);

    // From the restart on: never two containers for one instance once its rollout step is settled, never none.
    const docker = rawDocker();
    const containersOf = async (): Promise<Map<string, Array<{ name: string; state: string }>>> => {
      const list = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`, 'berth.kind=instance'] } });
      const out = new Map<string, Array<{ name: string; state: string }>>();
      for (const c of list) out.set(c.Labels['berth.instance']!, [...(out.get(c.Labels['berth.instance']!) ?? []), { name: c.Names[0]!, state: c.State }]);
      return out;
    };
    const done = await until(async () => {
      const r = await call<RolloutView>(second, 'GET', `/v1/rollouts/${rollout.body.id}`);
      // Meanwhile: each instance has at least one container (never none).
      const seen = await containersOf();
      for (const m of made) expect({ name: m.body.name, some: (seen.get(m.body.id)?.length ?? 0) > 0 }).toEqual({ name: m.body.name, some: true });
      return r;
    }, (r) => r.body.status === 'succeeded' || r.body.status === 'failed', 240_000, 500);
    expect(done.body.status, JSON.stringify(done.body)).toBe('succeeded');
    expect(done.body.counts.succeeded).toBe(COUNT);

    const list = await until(() => call<{ items: Instance[] }>(second, 'GET', '/v1/instances?tenant=rc'), (r) => r.body.items?.every((i) => i.status === 'running'), 120_000, 300);
    const containers = await containersOf();
    for (const inst of list.body.items) {
      expect(inst).toMatchObject({ status: 'running', revision: 2 });
      expect(containers.get(inst.id)).toEqual([{ name: `/berth-${scope}-${inst.name}`, state: 'running' }]);
      const version = await fetch(`${inst.url}/env/value?name=VERSION`).then((r) => r.json() as Promise<{ value: string }>);
      expect(version.value).toBe('2');
    }
    const interrupted = await call<{ items: Upgrade[] }>(second, 'GET', `/v1/instances/${switched}/upgrades`);
    console.log(`[rollouts] killed with ${switched} switched over; after the restart: ${interrupted.body.items.map((u) => `${u.status} (${u.message})`).join('; ')}`);
    await second.child.kill('SIGTERM');
    await second.exited;
  }, 600_000);
});

