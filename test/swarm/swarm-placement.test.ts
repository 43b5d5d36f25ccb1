import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { NodeInfo } from '../../src/runtime/cluster-nodes.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until, type ErrorBody } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { clusterNodes, manager, startSwarmDaemon } from './cluster.js';

const health = { path: '/health', intervalSeconds: 1, timeoutSeconds: 1, startPeriodSeconds: 5 };

describe(`placement, nodes and drain on a Swarm cluster (${testEnv.store})`, () => {
  let td: TestDaemon;
  const nodes = clusterNodes();
  const [n1, n2] = nodes;
  const healthyOn = async (name: string, timeoutMs = 120_000) => {
    const res = await until(() => getInstance(td, name), (r) => r.body.status === 'running' && Boolean(r.body.node), timeoutMs, 250);
    expect(res.body.status, `${name}: ${res.body.lastError}`).toBe('running');
    expect((await fetch(`${res.body.url}/health`)).status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    td = await startSwarmDaemon({
      // Stateless agents: a drain moves them (swarm-workspace-pin.test.ts covers pinned workspaces).
      flags: { 'swarm.pinWorkspaces': false },
      plans: [
        '  on-n1: { cpus: 0.25, memory: 128MiB, reservations: { cpus: 0.1, memory: 64MiB }, placement: { constraints: ["node.labels.berth-test-node==n1"] } }',
        '  gpu: { cpus: 0.25, memory: 128MiB, placement: { constraints: ["node.labels.gpu==true"] } }',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await td?.api('POST', `/v1/nodes/${n1!.id}/actions`, { action: 'activate' }).catch(() => undefined);
    await td?.cleanup();
  });

  it('lists the nodes: the drained manager and the ready workers, with engines berth reaches', async () => {
    const res = await td.api<{ items: NodeInfo[] }>('GET', '/v1/nodes');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byHost = new Map(res.body.items.map((n) => [n.hostname, n]));
    for (const n of nodes) {
      expect(byHost.get(n.hostname)).toMatchObject({ id: n.id, role: 'worker', availability: 'active', state: 'ready', address: n.address, engine: 'reachable', labels: { 'berth-test-node': `n${n.index}` } });
      expect(byHost.get(n.hostname)!.cpus).toBeGreaterThan(0);
      expect(byHost.get(n.hostname)!.memoryBytes).toBeGreaterThan(0);
    }
    expect(res.body.items.find((n) => n.role === 'manager')).toMatchObject({ leader: true, availability: 'drain', engine: 'not configured' });
    // Tenants do not see the cluster.
    expect((await td.api('GET', '/v1/nodes', undefined, null)).status).toBe(401);
  });

  it('spreads instances over the nodes', async () => {
    const names = ['s1', 's2', 's3', 's4'];
    const created = await Promise.all(names.map((name) => createInstance(td, { name, tenant: name, plan: 'starter', image: testEnv.image, port: 8080, health })));
    for (const c of created) expect(c.status, JSON.stringify(c.body)).toBe(202);
    const placed = await Promise.all(names.map((n) => healthyOn(n)));
    expect(new Set(placed.map((i) => i.node))).toEqual(new Set(nodes.map((n) => n.hostname)));
    const list = await td.api<{ items: NodeInfo[] }>('GET', '/v1/nodes');
    expect(list.body.items.reduce((sum, n) => sum + n.instances, 0)).toBe(4);
  });

  it('honours a plan placement constraint', async () => {
    for (const name of ['p1', 'p2']) {
      expect((await createInstance(td, { name, tenant: name, plan: 'on-n1', image: testEnv.image, port: 8080, health })).status).toBe(202);
    }
    for (const name of ['p1', 'p2']) expect((await healthyOn(name)).node).toBe(n1!.hostname);
    // The plan's reservations are the service's reservations; its cpus/memory stay the limits.
    const [svc] = await manager().listServices({ filters: { label: [`berth.scope=${td.scope}`, 'berth.name=p1'] } });
    expect(svc!.Spec!.TaskTemplate!.Resources).toEqual({
      Limits: { NanoCPUs: 250000000, MemoryBytes: 134217728, Pids: 256 },
      Reservations: { NanoCPUs: 100000000, MemoryBytes: 67108864 },
    });
  });

  it('a placement no node satisfies is refused with a 422 before anything is made', async () => {
    const res = await createInstance(td, { name: 'nogpu', tenant: 'nogpu', plan: 'gpu', image: testEnv.image, port: 8080, health });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect((res.body as unknown as ErrorBody).error).toMatchObject({ code: 'PLACEMENT_UNSATISFIABLE' });
    expect((res.body as unknown as ErrorBody).error.message).toMatch(/no ready, active node satisfies the placement node\.labels\.gpu==true/);
    expect((await getInstance(td, 'nogpu')).status).toBe(404);
    const services = await manager().listServices({ filters: { label: [`berth.scope=${td.scope}`, 'berth.name=nogpu'] } });
    expect(services).toEqual([]);
  });

  it("drains a node: its instances move to the other node and come back healthy; activate brings it back", async () => {
    const before = (await td.api<{ items: Instance[] }>('GET', '/v1/instances?limit=100')).body.items.filter((i) => i.status === 'running');
    const onN1 = before.filter((i) => i.node === n1!.hostname).map((i) => i.name);
    expect(onN1.length).toBeGreaterThan(0);
    const drained = await td.api<NodeInfo>('POST', `/v1/nodes/${n1!.hostname}/actions`, { action: 'drain' });
    expect(drained.status, JSON.stringify(drained.body)).toBe(200);
    expect(drained.body.availability).toBe('drain');
    const started = Date.now();
    // Instances pinned to n1 cannot move; the others come back on n2.
    const movable = onN1.filter((n) => !n.startsWith('p'));
    for (const name of movable) {
      const moved = await until(() => getInstance(td, name), (r) => r.body.status === 'running' && r.body.node === n2!.hostname, 180_000, 250);
      expect(moved.body.node, `${name}: ${moved.body.status} ${moved.body.lastError}`).toBe(n2!.hostname);
      expect((await fetch(`${moved.body.url}/health`)).status).toBe(200);
    }
    console.log(`drain: ${movable.length} instances healthy on ${n2!.hostname} ${Date.now() - started} ms after the drain`);
    const activated = await td.api<NodeInfo>('POST', `/v1/nodes/${n1!.id}/actions`, { action: 'activate' });
    expect(activated.body.availability).toBe('active');
    for (const name of onN1.filter((n) => n.startsWith('p'))) await healthyOn(name, 180_000);
  });
});
