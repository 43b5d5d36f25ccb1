import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { containerOf, createInstance, until, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let target: TargetFixture;

beforeAll(async () => {
  td = await startTestDaemon();
  target = await createInstance(td, `exec-timeout-${td.scope.slice(2)}`);
});
afterAll(async () => {
  await td?.cleanup();
});

async function processes(containerId: string): Promise<string[]> {
  const top = await rawDocker().getContainer(containerId).top({ ps_args: '-eo pid,args' }) as { Processes?: string[][] };
  return (top.Processes ?? []).map((p) => p.join(' '));
}

describe(`exec timeouts kill inside the container (${testEnv.store})`, () => {
  it('a timed-out sleep 1000 and the children it started are gone, and no host process was signalled', async () => {
    const { id } = await containerOf(td, target.id);
    const kill = vi.spyOn(process, 'kill');
    try {
      const t0 = Date.now();
      const result = await td.daemon.runtime.exec(id, ['sh', '-c', 'sleep 1001 & sleep 1000'], { timeoutMs: 1500, outputLimitBytes: 1024 });
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(kill).not.toHaveBeenCalled();
    } finally {
      kill.mockRestore();
    }
    const left = await until('the sleeps to be gone', async () => {
      const ps = await processes(id);
      return ps.some((p) => /sleep 100[01]/.test(p)) ? undefined : ps;
    }, 10_000);
    expect(left.join('\n')).not.toMatch(/sleep 100[01]/);
    // The container itself is untouched: the agent still runs.
    expect((await rawDocker().getContainer(id).inspect()).State.Running).toBe(true);
  });

  it('an exec that finishes in time keeps its exit code and output', async () => {
    const { id } = await containerOf(td, target.id);
    const result = await td.daemon.runtime.exec(id, ['sh', '-c', 'echo out; exit 3'], { timeoutMs: 20_000, outputLimitBytes: 1024 });
    expect(result).toMatchObject({ timedOut: false, exitCode: 3, output: 'out\n' });
  });
});
