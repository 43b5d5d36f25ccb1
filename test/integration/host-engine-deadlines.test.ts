import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

let td: TestDaemon;

beforeAll(async () => {
  td = await startTestDaemon();
});
afterAll(async () => {
  await td?.cleanup();
});

describe(`engine calls have deadlines sized to the operation (${testEnv.store})`, () => {
  it('a stop that takes longer than the client idle timeout (30 s) completes instead of failing as "engine unavailable"', async () => {
    // PID 1 without init ignores SIGTERM, so the engine waits the whole stop timeout before SIGKILL.
    const c = await rawDocker().createContainer({
      Image: 'berth/test-agent:local', Cmd: ['sleep', '1000'], // Scope-labelled for cleanup, but not berth.managed: the reconciler must not adopt or remove it.
      Labels: { 'berth.scope': td.scope },
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    const t0 = Date.now();
    await td.daemon.runtime.stopContainer(c.id, 34);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(33_000);
    expect((await c.inspect()).State.Running).toBe(false);
    await c.remove({ force: true });
  }, 120_000);
});
