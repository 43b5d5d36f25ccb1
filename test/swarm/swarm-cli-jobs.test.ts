import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../src/runtime/cluster-nodes.js';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, untilStatus } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { runsOf, until } from '../integration/jobs-fixtures.js';
import { clusterNodes, startSwarmDaemon } from './cluster.js';

describe(`CLI, doctor and jobs on a Swarm cluster (${testEnv.store})`, () => {
  let td: TestDaemon;
  let env: Record<string, string>;
  const nodes = clusterNodes();

  beforeAll(async () => {
    td = await startSwarmDaemon();
    env = { PATH: process.env.PATH ?? '', HOME: td.dataDir, BERTH_URL: td.url, BERTH_TOKEN: td.token, NO_COLOR: '1' };
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('berth nodes lists the cluster; --json matches the API', async () => {
    const table = await runBerth(['nodes'], env);
    expect(table.code, table.stderr).toBe(0);
    for (const n of nodes) expect(table.stdout).toContain(n.hostname);
    expect(table.stdout).toMatch(/HOSTNAME\s+ROLE\s+STATE/);
    const json = JSON.parse((await runBerth(['nodes', '--json'], env)).stdout) as { items: NodeInfo[] };
    expect(json.items.map((n) => n.hostname)).toEqual(expect.arrayContaining(nodes.map((n) => n.hostname)));
  });

  it('berth nodes load-image is an explicit copy: present on every node here', async () => {
    const res = await runBerth(['nodes', 'load-image', testEnv.image, '--json'], env, { timeoutMs: 300_000 });
    expect(res.code, res.stderr).toBe(0);
    const body = JSON.parse(res.stdout) as { nodes: Array<{ node: string; result: string }> };
    expect(body.nodes).toEqual(expect.arrayContaining(nodes.map((n) => ({ node: n.hostname, result: 'present' }))));
  });

  it('berth doctor reports the manager, the ready nodes and the node engines', async () => {
    const res = await runBerth(['doctor', '--json'], env);
    const checks = (JSON.parse(res.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('swarm')).toMatchObject({ status: 'ok', detail: expect.stringContaining('manager reachable') });
    expect(byName.get('nodes')).toMatchObject({ status: 'ok' });
    expect(byName.get('node engines')).toMatchObject({ status: 'ok' });
    for (const n of nodes) expect(byName.get('node engines')!.detail).toContain(n.hostname);
  });

  it('exec and http jobs reach the instance on its node', async () => {
    const res = await createInstance(td, { name: 'jobby', tenant: 'jobby', plan: 'starter', image: testEnv.image, port: 8080, health: { path: '/health', intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 } });
    expect(res.status).toBe(202);
    await untilStatus(td, 'jobby', 'running', 120_000);
    await td.api('POST', '/v1/jobs', { name: 'hello', schedule: '0 0 1 1 *', target: { instance: 'jobby' }, action: { type: 'exec', command: ['sh', '-c', 'echo hi from $(hostname)'], timeoutSeconds: 10 } });
    await td.api('POST', '/v1/jobs/hello/run');
    const run = await until('an exec run', async () => (await runsOf(td, 'hello')).find((r) => r.status !== 'running'), 60_000);
    expect(run.results).toEqual([expect.objectContaining({ instance: 'jobby', outcome: 'succeeded', exitCode: 0, output: 'hi from jobby\n' })]);

    await td.api('POST', '/v1/jobs', { name: 'ping', schedule: '0 0 1 1 *', target: { instance: 'jobby' }, action: { type: 'http', method: 'GET', path: '/health', timeoutSeconds: 10 } });
    await td.api('POST', '/v1/jobs/ping/run');
    const call = await until('an http run', async () => (await runsOf(td, 'ping')).find((r) => r.status !== 'running'), 60_000);
    expect(call.results).toEqual([expect.objectContaining({ instance: 'jobby', outcome: 'succeeded' })]);
  });
});
