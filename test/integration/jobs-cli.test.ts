import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { createInstance, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let target: TargetFixture;
let env: Record<string, string>;

beforeAll(async () => {
  td = await startTestDaemon();
  target = await createInstance(td, `cli-job-${td.scope.slice(2)}`);
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: td.token };
});
afterAll(async () => {
  await td?.cleanup();
});

describe(`berth jobs (${testEnv.store})`, () => {
  it('create → ls → show → run --wait → runs → rm, with exit codes', async () => {
    const create = await runBerth(['jobs', 'create', 'greet', '--schedule', '0 3 * * *', '--instance', target.name, '--exec', '--action-timeout', '10', '--', 'sh', '-c', 'echo hi from $BERTH_INSTANCE'], env);
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toMatch(/✓ job greet: exec sh -c echo hi from \$BERTH_INSTANCE on instance \S+, 0 3 \* \* \* \(UTC\); next run in \d+/);

    const bad = await runBerth(['jobs', 'create', 'bad', '--schedule', 'soon', '--instance', target.name, '--restart'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('schedule');
    expect((await runBerth(['jobs', 'create', 'both', '--schedule', '0 3 * * *', '--instance', target.name, '--restart', '--http', '/x'], env)).code).toBe(2);

    const ls = await runBerth(['jobs', 'ls'], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+SCHEDULE\s+TARGET\s+ACTION\s+NEXT\s+LAST$/);
    expect(ls.stdout).toMatch(/greet\s+0 3 \* \* \*\s+instance \S+\s+exec sh -c echo hi/);

    const run = await runBerth(['jobs', 'run', 'greet', '--wait'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/run run_\w+: succeeded/);
    expect(run.stdout).toContain(`${target.name}: succeeded exit 0`);
    expect(run.stdout).toContain(`hi from ${target.name}`);

    const runs = await runBerth(['jobs', 'runs', 'greet', '--json'], env);
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toMatchObject({ total: 1, items: [{ trigger: 'manual', status: 'succeeded' }] });

    const show = await runBerth(['jobs', 'show', 'greet'], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/schedule:\s+0 3 \* \* \* \(UTC\)/);
    expect(show.stdout).toMatch(/latest runs:\n\s+\d+s ago\s+manual\s+succeeded/);

    // A failing command: run --wait exits 1 and shows why.
    await runBerth(['jobs', 'create', 'oops', '--schedule', '0 3 * * *', '--instance', target.name, '--exec', '--', 'sh', '-c', 'echo nope >&2; exit 3'], env);
    const failed = await runBerth(['jobs', 'run', 'oops', '--wait'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed exit 3 \(exited with code 3\)/);
    expect(failed.stdout).toContain('nope');

    expect((await runBerth(['jobs', 'rm', 'greet'], env)).code).toBe(2); // no terminal to confirm on
    const rm = await runBerth(['jobs', 'rm', 'greet', '--yes'], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await runBerth(['jobs', 'show', 'greet'], env)).code).toBe(3);
    await runBerth(['jobs', 'rm', 'oops', '--yes'], env);
  });
});
