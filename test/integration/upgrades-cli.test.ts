import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { createInstance } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

let td: TestDaemon;
let env: Record<string, string>;
const health = { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0, timeoutSeconds: 1 };

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'runtime.stopTimeoutSeconds': 2 } });
  env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BERTH_URL: td.url, BERTH_TOKEN: td.token, NO_COLOR: '1' };
  for (const name of ['cli-u1', 'cli-u2']) expect((await createInstance(td, { tenant: 'cliu', name, health }, '?wait=running&timeout=90')).body.status).toBe('running');
}, 180_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`CLI: upgrade, rollback, revisions, rollout (${testEnv.store})`, () => {
  it('upgrade --wait shows progress and ends on the new revision; revisions and rollback follow', async () => {
    const up = await runBerth(['upgrade', 'cli-u1', '--env', 'VERSION=2', '--reason', 'cli test', '--wait'], env, { timeoutMs: 180_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/revision 1 → 2/);
    expect(up.stderr).toMatch(/✓ cli-u1 on revision 2/);

    const revs = await runBerth(['revisions', 'cli-u1', '--json'], env);
    const body = JSON.parse(revs.stdout) as { current: number; items: Array<{ revision: number; changed: string[]; reason: string | null }> };
    expect(body.current).toBe(2);
    expect(body.items[0]).toMatchObject({ revision: 2, changed: ['env'], reason: 'cli test' });
    const table = await runBerth(['revisions', 'cli-u1'], env);
    expect(table.stdout).toMatch(/\*\s+2\s+env/);

    const bad = await runBerth(['upgrade', 'cli-u1', '--image', 'no-such/image:x'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('image');
    const nothing = await runBerth(['upgrade', 'cli-u1'], env);
    expect(nothing.code).toBe(2);

    const back = await runBerth(['rollback', 'cli-u1', '--wait', '--json'], env, { timeoutMs: 180_000 });
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ upgrade: { kind: 'rollback', status: 'succeeded', toRevision: 1 } });
  }, 300_000);

  it('a failing upgrade exits non-zero with the reason', async () => {
    const up = await runBerth(['upgrade', 'cli-u2', '--env', 'HEALTH_FAIL=1', '--health-timeout', '30', '--wait'], env, { timeoutMs: 180_000 });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('rolled-back');
  }, 300_000);

  it('rollout create --wait, ls, show, and pause/resume/cancel answer in text and --json', async () => {
    const made = await runBerth(['rollout', 'create', '--tenant', 'cliu', '--env', 'WAVE=1', '--max-parallel', '2', '--wait', '--json'], env, { timeoutMs: 300_000 });
    expect(made.code, made.stderr).toBe(0);
    const r = JSON.parse(made.stdout) as { id: string; status: string; counts: Record<string, number> };
    expect(r).toMatchObject({ status: 'succeeded', counts: { succeeded: 2 } });
    expect(made.stderr).toContain(`rollout ${r.id} succeeded`);
    const ls = await runBerth(['rollout', 'ls'], env);
    expect(ls.stdout).toContain(r.id);
    const show = await runBerth(['rollout', 'show', r.id], env);
    expect(show.stdout).toMatch(/cli-u1\s+succeeded\s+\d/);
    const cancel = await runBerth(['rollout', 'cancel', r.id], env);
    expect(cancel.code).toBe(4);
    const usage = await runBerth(['rollout', 'create', '--env', 'X=1'], env);
    expect(usage.code).toBe(2);
  }, 400_000);
});
