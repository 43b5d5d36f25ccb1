import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBerth, type DaemonProcess } from '../helpers/daemon-process.js';
import { storeUrlFor } from '../helpers/databases.js';
import { testEnv } from '../helpers/env.js';

const procs: DaemonProcess[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of drops.splice(0)) await d();
});

async function start(env: Record<string, string> = {}): Promise<DaemonProcess> {
  const db = await storeUrlFor(testEnv.store);
  drops.push(db.drop);
  const p = spawnBerth(['serve'], { BERTH_LOG_LEVEL: 'info', DATABASE_URL: db.url, BERTH_SCOPE: 'boot-test', ...env });
  procs.push(p);
  return p;
}

describe(`berth serve (${testEnv.store})`, () => {
  it('boots in logged phases, serves health and readiness, guards /v1, and stops cleanly on SIGTERM', async () => {
    const p = await start({ BERTH_SHUTDOWN_GRACE_SECONDS: '5' });
    await p.waitReady();

    const phases = p.output().split('\n').filter((l) => l.includes('"phase"')).map((l) => JSON.parse(l) as { phase: string; ms: number });
    // The reconciler, monitor, service watch, rollouts and disk watch start inside `leadership` (here: the only berth, so the leader).
    expect(phases.map((x) => x.phase)).toEqual([
      'config', 'store', 'runtime', 'snapshot-recovery', 'alerts', 'reconciler', 'monitor', 'service-watch', 'rollouts', 'disk-watch', 'leadership',
      'background-creates', 'upgrades', 'scheduler', 'retention', 'http',
    ]);
    for (const x of phases) expect(typeof x.ms).toBe('number');

    const health = await (await fetch(`${p.url}/health`)).json() as { status: string; components: Record<string, { status: string }> };
    expect(health.status).toBe('ok');
    expect(health.components.store?.status).toBe('up');
    expect(health.components.runtime?.status).toBe('up');
    expect((await fetch(`${p.url}/ready`)).status).toBe(200);

    const tokenFile = path.join(p.dataDir, 'admin.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(p.output()).toContain(tokenFile);

    const denied = await fetch(`${p.url}/v1/anything`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/json');
    expect(await denied.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = await fetch(`${p.url}/v1/tokens`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);

    const openapi = await (await fetch(`${p.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/v1/tokens', '/v1/docker/containers']));
    expect((await fetch(`${p.url}/docs/`)).status).toBe(200);
    expect((await fetch(`${p.url}/redoc`)).status).toBe(200);
    // The prebuilt bundle (dist/vendor/redoc), read on first request: no redoc package at run time.
    const bundle = await fetch(`${p.url}/redoc/redoc.standalone.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);

    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    if (testEnv.store === 'sqlite') {
      const db = new Database(path.join(p.dataDir, 'berth.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    }
  });

  it('keeps the admin token across restarts and never logs it', async () => {
    const first = await start();
    await first.waitReady();
    const token = (await import('node:fs')).readFileSync(path.join(first.dataDir, 'admin.token'), 'utf8').trim();
    expect(first.output()).not.toContain(token);
    first.child.kill('SIGTERM');
    await first.exited;
    const second = spawnBerth(['serve'], { DATABASE_URL: '', BERTH_SCOPE: 'boot-test' }, { dataDir: first.dataDir });
    procs.push(second);
    if (testEnv.store === 'sqlite') {
      await second.waitReady();
      const res = await fetch(`${second.url}/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(second.output()).toContain('admin token exists');
    } else {
      second.child.kill('SIGKILL');
    }
  });

  it('exits non-zero with one clear line on invalid config', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ BERTH_PORT: 'eighty' }, /server\.port = "eighty"/],
      [{ BERTH_PORT_RANGE: '30000-20000' }, /ports = 30000-20000/],
      [{ BERTH_LOG_LEVEL: 'loud' }, /log\.level = "loud"/],
    ];
    for (const [env, pattern] of cases) {
      const p = spawnBerth(['serve'], env);
      procs.push(p);
      const exit = await p.exited;
      expect(exit.code).not.toBe(0);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
  });
});
