import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { spawnBerth, type DaemonProcess } from '../helpers/daemon-process.js';
import { storeUrlFor } from '../helpers/databases.js';
import { rawDocker, removeScope } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { until } from '../helpers/instances.js';
import { uniqueScope } from '../helpers/test-daemon.js';

const PRE = 10;
const CREATES = 40;

/**
 * berth is SIGKILLed in the middle of 50 concurrent creates and deletes (real processes), then
 * started again on the same store: its boot reconcile must leave runtime and store agreeing.
 */
describe(`crash during concurrent creates and deletes (${testEnv.store})`, () => {
  const scope = uniqueScope('crash');
  const procs: DaemonProcess[] = [];
  let drop: () => Promise<void> = async () => undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await removeScope(scope);
    await drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('repairs everything on the next boot: labels == rows, no port twice, nothing stuck', async () => {
    const db = await storeUrlFor(testEnv.store);
    drop = db.drop;
    const env = { DATABASE_URL: db.url, BERTH_SCOPE: scope, BERTH_LOG_LEVEL: 'warn', BERTH_MONITOR_ENABLED: 'false', BERTH_SCHEDULER_ENABLED: 'false' };
    const first = spawnBerth(['serve'], env);
    procs.push(first);
    dataDir = first.dataDir;
    await first.waitReady();
    const token = readFileSync(path.join(first.dataDir, 'admin.token'), 'utf8').trim();
    const call = (p: DaemonProcess, method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> =>
      fetch(`${p.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, unknown> }), () => ({ status: 0, body: {} }));

    for (let i = 0; i < PRE; i++) expect((await call(first, 'POST', '/v1/instances', { tenant: `old${i}`, image: testEnv.image })).status).toBe(202);

    // 40 creates and 10 deletes at once; the process dies a few answers in (a different instant each run).
    const killAfter = 3 + Math.floor(Math.random() * 20);
    let answered = 0;
    const inFlight = [
      ...Array.from({ length: CREATES }, (_, i) => call(first, 'POST', '/v1/instances', { tenant: `new${i}`, image: testEnv.image })),
      ...Array.from({ length: PRE }, (_, i) => call(first, 'DELETE', `/v1/instances/old${i}`)),
    ].map((p) => p.then((r) => {
      answered++;
      return r;
    }));
    await until(async () => answered, (n) => n >= killAfter, 20_000, 5);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const results = await Promise.all(inFlight);
    expect(results.some((r) => r.status === 0), `killed after ${killAfter} answers`).toBe(true); // some requests really were cut off

    const second = spawnBerth(['serve'], env, { dataDir: first.dataDir });
    procs.push(second);
    await second.waitReady(120_000);

    // The boot reconcile did the work; an engine busy with other tests may need its quick retry too.
    const half = (r: Instance): boolean => r.status === 'creating' || r.status === 'deleting';
    const list = await until(() => call(second, 'GET', '/v1/instances?limit=1000'), (r) => !(r.body.items as Instance[]).some(half), 30_000, 250);
    const rows = (list.body.items as Instance[]);
    expect(rows.filter(half).map((r) => `${r.name}:${r.status}:${r.lastError}`)).toEqual([]);

    const docker = rawDocker();
    const containers = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`, 'berth.kind=instance'] } });
    const labelIds = containers.map((c) => c.Labels['berth.instance']).sort();
    expect(labelIds).toEqual(rows.map((r) => r.id).sort());
    expect(new Set(labelIds).size).toBe(labelIds.length);

    const ports = rows.map((r) => r.hostPort);
    expect(new Set(ports).size).toBe(rows.length);
    for (const r of rows) {
      const c = containers.find((x) => x.Labels['berth.instance'] === r.id)!;
      expect(c.Labels['berth.port']).toBe(String(r.hostPort));
    }
    const volumes = ((await docker.listVolumes({ filters: { label: [`berth.scope=${scope}`] } })).Volumes ?? []).map((v) => v.Name).sort();
    // Workspaces are named by instance id (never by a reusable name).
    expect(volumes).toEqual(rows.map((r) => `berth-${scope}-ws-${r.id}`).sort());

    // Every create that got an answer exists; every delete that got an answer is gone.
    for (const [i, r] of results.entries()) {
      if (r.status === 0) continue;
      if (i < CREATES) expect(rows.some((row) => row.name === `new${i}`)).toBe(true);
      else expect(rows.some((row) => row.name === `old${i - CREATES}`)).toBe(false);
    }

    // And they all come up.
    const all = await until(
      () => call(second, 'GET', '/v1/instances?limit=1000'),
      (r) => (r.body.items as Instance[]).every((i) => i.status === 'running'),
      240_000, 1000,
    );
    expect((all.body.items as Instance[]).filter((i) => i.status !== 'running').map((i) => `${i.name}:${i.status}:${i.lastError}`)).toEqual([]);
  }, 400_000);
});
