import { afterAll, describe, expect, it } from 'vitest';
import { EngineProxy } from '../helpers/engine-proxy.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { testEnv } from '../helpers/env.js';

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`degraded mode without an engine (${testEnv.store})`, () => {
  const proxy = new EngineProxy();
  let td: TestDaemon;
  afterAll(async () => {
    await td?.cleanup();
    await proxy.close();
  });

  it('boots with no engine, answers 503 on runtime routes, and recovers when the engine appears', async () => {
    // The proxy socket does not exist yet: no engine answers at this DOCKER_HOST.
    td = await startTestDaemon({ env: { DOCKER_HOST: proxy.dockerHost }, flags: { 'docker.retrySeconds': 0.2 } });

    const health = await td.api<{ status: string; components: Record<string, { status: string; detail?: string }> }>('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.components.runtime?.status).toBe('down');
    expect((await td.api('GET', '/ready', undefined, null)).status).toBe(200);

    const down = await td.api<{ error: { code: string; message: string } }>('GET', '/v1/docker/containers');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('RUNTIME_UNAVAILABLE');
    expect(down.body.error.message).toMatch(/does not answer|unavailable/);
    expect(down.body.error.message).toContain(proxy.socketPath);

    await proxy.open();
    const back = await until(() => td.api<{ components: Record<string, { status: string }> }>('GET', '/health', undefined, null), (r) => r.body.components.runtime?.status === 'up');
    expect(back.body.components.runtime?.status).toBe('up');
    const list = await td.api<{ items: unknown[] }>('GET', '/v1/docker/containers?all=true');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body.items)).toBe(true);

    // And it notices the engine leaving again.
    await proxy.close();
    const gone = await until(() => td.api('GET', '/v1/docker/containers'), (r) => r.status === 503);
    expect(gone.status).toBe(503);
  });
});
