import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { createInstance } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { engineInfo } from '../../src/runtime/docker/engine-info.js';

// Run by scripts/test-podman.sh with DOCKER_HOST at Podman's Docker-compatible socket.
describe('berth on Podman', () => {
  let td: TestDaemon;
  beforeAll(async () => {
    expect(engineInfo(await rawDocker().version()).engine, `DOCKER_HOST=${testEnv.dockerHost} must be a Podman socket`).toBe('podman');
    td = await startTestDaemon();
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('names the engine: /health says podman and its version, berth doctor says so and warns about isolation', async () => {
    const health = await td.api<{ components: Record<string, { status: string; detail?: string }> }>('GET', '/health');
    expect(health.body.components.runtime).toMatchObject({ status: 'up', detail: expect.stringMatching(/^podman \d+\.\d+/) });
    const res = await runBerth(['doctor', '--json'], { BERTH_URL: td.url, BERTH_TOKEN: td.token, BERTH_DATA_DIR: td.dataDir, DOCKER_HOST: testEnv.dockerHost });
    const out = JSON.parse(res.stdout) as { checks: { name: string; status: string; detail: string }[] };
    expect(out.checks.find((c) => c.name === 'engine')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^podman \d/) });
    expect(out.checks.find((c) => c.name === 'isolation')).toMatchObject({ status: 'warn' });
  });

  it('runs a tenant container on Podman with berth labels, limits and a published port', async () => {
    const res = await createInstance(td, { tenant: 'pod', image: testEnv.image, health: { intervalSeconds: 5, startPeriodSeconds: 5 } }, '?wait=running&timeout=90');
    expect(res.status).toBe(201);
    const c = await rawDocker().getContainer(res.body.containerId!).inspect();
    expect(c.Config.Labels).toMatchObject({ 'berth.managed': 'true', 'berth.scope': td.scope, 'berth.name': 'pod' });
    expect(c.HostConfig.Memory).toBe(536870912);
    expect(c.HostConfig.PidsLimit).toBe(256);
    expect((await fetch(`${res.body.url}/health`)).status).toBe(200);
  });
});
