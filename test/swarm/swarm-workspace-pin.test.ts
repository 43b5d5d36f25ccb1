import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, getInstance, until } from '../helpers/instances.js';
import { eventsOf } from '../helpers/monitor.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { clusterNodes, manager, startSwarmDaemon } from './cluster.js';

const health = { path: '/health', intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 };

describe(`a workspace pins its instance to its node (${testEnv.store})`, () => {
  let td: TestDaemon;
  const nodes = clusterNodes();
  let home: (typeof nodes)[number];
  let w: Instance;
  const constraintsOf = async (serviceId: string) => ((await manager().getService(serviceId).inspect()) as { Spec: { TaskTemplate: { Placement?: { Constraints?: string[] } } } }).Spec.TaskTemplate.Placement?.Constraints ?? [];
  const running = (timeoutMs = 120_000) => until(() => getInstance(td, 'w'), (r) => r.body.status === 'running' && Boolean(r.body.node), timeoutMs, 250);

  beforeAll(async () => {
    // Restarts keep being tried while the node is drained (no `failed` within the test).
    td = await startSwarmDaemon({ flags: { 'restart.maxDelaySeconds': 2, 'restart.failAfterRestarts': 1000, 'restart.crashloopRestarts': 1000 } });
  });
  afterAll(async () => {
    for (const n of nodes) await td?.api('POST', `/v1/nodes/${n.id}/actions`, { action: 'activate' }).catch(() => undefined);
    await td?.cleanup();
  });

  it('records the first node and keeps every later task there, through restarts and a recreate', async () => {
    const res = await createInstance(td, { name: 'w', tenant: 'pinned', image: testEnv.image, port: 8080, health }, '?wait=running&timeout=120');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    w = res.body;
    home = nodes.find((n) => n.hostname === w.node)!;
    expect(home, `node ${w.node}`).toBeDefined();
    expect(await agent(w, '/workspace?file=state.txt', { method: 'PUT', body: 'mine' })).toEqual({ written: 'state.txt' });
    for (let i = 0; i < 3; i++) {
      const r = await td.api<Instance>('POST', '/v1/instances/w/actions?wait=running&timeout=120', { action: 'restart' });
      expect(r.body, JSON.stringify(r.body)).toMatchObject({ status: 'running', node: home.hostname });
      expect(await agent(r.body, '/workspace?file=state.txt')).toEqual({ content: 'mine' });
    }
    expect(await constraintsOf(w.containerId!)).toContain(`node.id==${home.id}`);

    // The service vanishes: the recreated one goes back to the workspace's node.
    await manager().getService(w.containerId!).remove();
    await td.daemon.reconciler.reconcileNow();
    const back = await until(() => getInstance(td, 'w'), (r) => r.body.status === 'running' && r.body.containerId !== w.containerId && Boolean(r.body.node), 120_000, 250);
    expect(back.body.node).toBe(home.hostname);
    expect(await constraintsOf(back.body.containerId!)).toContain(`node.id==${home.id}`);
    expect(await agent(back.body, '/workspace?file=state.txt')).toEqual({ content: 'mine' });
    w = back.body;
  });

  it('a drained workspace node: restarts are refused with a clear event, never moved to an empty volume; activate brings it back', async () => {
    const drained = await td.api('POST', `/v1/nodes/${home.id}/actions`, { action: 'drain' });
    expect(drained.status, JSON.stringify(drained.body)).toBe(200);
    const refused = await until(() => eventsOf(td, 'w'), (ev) => ev.some((e) => e.type === 'restart-failed'), 90_000, 250);
    const event = refused.find((e) => e.type === 'restart-failed')!;
    console.log(`[pin] drained: ${event.message}`);
    expect(event.message).toMatch(new RegExp(`workspace .* lives on node ${home.hostname} \\(ready, drain\\)`));
    expect(event.message).toMatch(/activate the node/);
    // It did not run anywhere else meanwhile.
    const now = (await getInstance(td, 'w')).body;
    expect(now.status).not.toBe('running');
    const tasks = (await manager().listTasks({ filters: { service: [w.containerId!] } })) as Array<{ NodeID: string }>;
    expect(tasks.every((t) => t.NodeID === home.id)).toBe(true);
    // An operator's start is refused the same way: 409, the node named, nothing half-made.
    const start = await td.api<{ error: { code: string; message: string } }>('POST', '/v1/instances/w/actions', { action: 'restart' });
    expect(start.status, JSON.stringify(start.body)).toBe(409);
    expect(start.body.error).toMatchObject({ code: 'WORKSPACE_NODE_UNAVAILABLE', message: expect.stringContaining(home.hostname) });

    expect((await td.api('POST', `/v1/nodes/${home.id}/actions`, { action: 'activate' })).status).toBe(200);
    const back = await running(120_000);
    expect(back.body, `${back.body.status}: ${back.body.lastError}`).toMatchObject({ status: 'running', node: home.hostname });
    expect(await agent(back.body, '/workspace?file=state.txt')).toEqual({ content: 'mine' });
  });

  it('delete forgets the pin with the volume; the same name starts fresh wherever Swarm puts it', async () => {
    expect((await td.api('DELETE', '/v1/instances/w')).status).toBe(200);
    const again = await createInstance(td, { name: 'w', tenant: 'pinned', image: testEnv.image, port: 8080, health }, '?wait=running&timeout=120');
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await fetch(`${again.body.url}/workspace?file=state.txt`).then((r) => r.status)).toBe(404);
    const node = nodes.find((n) => n.hostname === again.body.node)!;
    // Pinned on its first restart's update to wherever its first task ran.
    const r = await td.api<Instance>('POST', '/v1/instances/w/actions?wait=running&timeout=120', { action: 'restart' });
    expect(r.body.node).toBe(node.hostname);
    expect(await constraintsOf(r.body.containerId!)).toEqual([`node.id==${node.id}`]);
  });
});
