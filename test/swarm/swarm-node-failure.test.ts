import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { NodeInfo } from '../../src/runtime/cluster-nodes.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { clusterNodes, clusterScript, startSwarmDaemon } from './cluster.js';

const health = { path: '/health', intervalSeconds: 1, timeoutSeconds: 1, startPeriodSeconds: 5 };
/** The bound the issue asks us to measure and hold: node death → healthy again elsewhere. */
const RECOVERY_BOUND_MS = 150_000;

describe(`a worker engine dies (${testEnv.store})`, () => {
  let td: TestDaemon;
  const [n1, n2] = clusterNodes();
  let killed = false;

  beforeAll(async () => {
    // Stateless agents: instances follow Swarm to a live node (with an empty workspace).
    td = await startSwarmDaemon({ flags: { 'health.failureThreshold': 2, 'swarm.pinWorkspaces': false } });
  });
  afterAll(async () => {
    try {
      if (killed) await clusterScript('revive-node', String(n2!.index));
    } finally {
      await td?.cleanup();
    }
  }, 240_000);

  it("reschedules the dead node's instances on the live node, healthy again within the bound", async () => {
    const names = ['k1', 'k2', 'k3', 'k4'];
    for (const name of names) {
      const res = await createInstance(td, { name, tenant: name, plan: 'starter', image: testEnv.image, port: 8080, health });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    const placed: Instance[] = [];
    for (const name of names) {
      const r = await until(() => getInstance(td, name), (x) => x.body.status === 'running' && Boolean(x.body.node), 120_000, 250);
      expect(r.body.status).toBe('running');
      placed.push(r.body);
    }
    const victims = placed.filter((i) => i.node === n2!.hostname).map((i) => i.name);
    expect(victims.length, `placement: ${placed.map((i) => `${i.name}@${i.node}`).join(', ')}`).toBeGreaterThan(0);

    const killedAt = Date.now();
    await clusterScript('kill-node', String(n2!.index));
    killed = true;
    const recovered: Record<string, number> = {};
    for (const name of victims) {
      const r = await until(() => getInstance(td, name), (x) => x.body.status === 'running' && x.body.node === n1!.hostname, RECOVERY_BOUND_MS, 250);
      expect(r.body.node, `${name}: ${r.body.status} ${r.body.lastError}`).toBe(n1!.hostname);
      const ok = await until(() => fetch(`${r.body.url}/health`).then((x) => x.status, () => 0), (s) => s === 200, 30_000, 200);
      expect(ok).toBe(200);
      recovered[name] = Date.now() - killedAt;
    }
    const worst = Math.max(...Object.values(recovered));
    console.log(`node failure: ${victims.length} instances healthy on ${n1!.hostname} after ${JSON.stringify(recovered)} ms (worst ${worst} ms)`);
    expect(worst).toBeLessThan(RECOVERY_BOUND_MS);
    // The survivors were not disturbed, and the manager sees the node down.
    for (const i of placed.filter((p) => !victims.includes(p.name))) expect((await getInstance(td, i.name)).body.node).toBe(n1!.hostname);
    const nodes = await td.api<{ items: NodeInfo[] }>('GET', '/v1/nodes');
    expect(nodes.body.items.find((n) => n.hostname === n2!.hostname)).toMatchObject({ state: 'down', engine: 'unreachable' });
  });
});
