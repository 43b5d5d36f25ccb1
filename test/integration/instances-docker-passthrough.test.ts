import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { createInstance, until, type ErrorBody } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type Container = { id: string; name: string; state: string; exitCode: number | null; startedAt: string | null; health: string | null; labels: Record<string, string> };

/** /v1/docker: the operator's passthrough to the engine (system-manager shape), on a berth-made container. */
describe(`docker passthrough (${testEnv.store})`, () => {
  let td: TestDaemon;
  let name: string;

  beforeAll(async () => {
    // Monitor off and no periodic reconcile: nothing else touches the container while this test drives it.
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'monitor.reconcileIntervalSeconds': 3600 } });
    const res = await createInstance(td, { tenant: 'pt', image: testEnv.image, env: { LOG_EVERY_MS: '200' } }, '?wait=running&timeout=60');
    expect(res.status).toBe(201);
    name = `berth-${td.scope}-pt`;
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('lists, shows status, stops, starts and restarts with a timeout, and tails logs', async () => {
    const running = await td.api<{ items: Container[] }>('GET', '/v1/docker/containers');
    expect(running.body.items.find((c) => c.name === name)?.labels['berth.scope']).toBe(td.scope);

    const status = await td.api<Container>('GET', `/v1/docker/containers/${name}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ name, state: 'running', exitCode: null, health: null });
    expect(status.body.startedAt).toMatch(/^\d{4}-/);

    const stopped = await td.api<Container>('POST', `/v1/docker/containers/${name}`, { action: 'stop', timeout: 2 });
    expect(stopped.body).toMatchObject({ state: 'exited', exitCode: 0 });
    expect((await td.api<{ items: Container[] }>('GET', '/v1/docker/containers')).body.items.some((c) => c.name === name)).toBe(false);
    expect((await td.api<{ items: Container[] }>('GET', '/v1/docker/containers?all=true')).body.items.some((c) => c.name === name)).toBe(true);

    const started = await td.api<Container>('POST', `/v1/docker/containers/${name}`, { action: 'start' });
    expect(started.body.state).toBe('running');
    const restarted = await td.api<Container>('POST', `/v1/docker/containers/${name}`, { action: 'restart', timeout: 1 });
    expect(restarted.body.state).toBe('running');
    expect(restarted.body.startedAt! > started.body.startedAt!).toBe(true);

    // The restarted agent writes its start-up lines a moment after the engine says running.
    type Logs = { container: string; lines: Array<{ stream: string; text: string }> };
    const logs = await until(() => td.api<Logs>('GET', `/v1/docker/containers/${name}/logs?tail=3`), (r) => r.status !== 200 || r.body.lines.length >= 3, 15_000);
    expect(logs.status).toBe(200);
    expect(logs.body.container).toBe(name);
    expect(logs.body.lines).toHaveLength(3);
    expect(logs.body.lines.every((l) => l.stream === 'stdout' && l.text.includes('test-agent'))).toBe(true);
  });

  it('answers 404 for an unknown container, 400 for a bad name, 403 for a tenant token', async () => {
    const missing = await td.api<ErrorBody>('GET', `/v1/docker/containers/berth-${td.scope}-nope/status`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONTAINER_NOT_FOUND');
    expect((await td.api<ErrorBody>('POST', `/v1/docker/containers/${name}`, { action: 'explode' })).status).toBe(400);
    expect((await td.api<ErrorBody>('GET', '/v1/docker/containers/..%2Fetc/status')).status).toBe(400);
    const tok = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'pt-tenant', tenant: 'pt' });
    expect((await td.api('GET', '/v1/docker/containers', undefined, tok.body.token)).status).toBe(403);
  });
});
