import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { clusterNodes, execIn, manager, nodeDocker, nodeFirewall, startSwarmDaemon, type ClusterNode } from './cluster.js';

const health = { path: '/health', intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 };
/** berth's address as the nodes see it: the manager's end of the test cluster's bridge. */
const BERTH_ADDRESS = '10.233.0.1';
const FETCH = 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), (e) => { console.log(String(e.cause ?? e)); process.exit(2); })';

interface Placed {
  instance: Instance;
  node: ClusterNode;
  containerId: string;
  /** The task's address on each network it is attached to, by network name. */
  addresses: Record<string, string>;
}

describe(`tenant isolation on the overlay and the node firewall (${testEnv.store})`, () => {
  let td: TestDaemon;
  const nodes = clusterNodes();
  const [n1, n2] = nodes;
  const placed = new Map<string, Placed>();
  let firewalled = false;

  /** A GET from inside one task (the agent's own node; busybox's static wget crashes): exit 0 only on a 200, bounded by 3 s. */
  const reach = async (from: string, url: string): Promise<boolean> => {
    const p = placed.get(from)!;
    const res = await execIn(nodeDocker(p.node), p.containerId, ['node', '-e', FETCH, url]);
    console.log(`[isolation] ${from} → ${url}: exit ${res.exitCode} ${res.output.replace(/[^ -~]/g, '').slice(0, 120)}`);
    return res.exitCode === 0;
  };

  beforeAll(async () => {
    td = await startSwarmDaemon({
      plans: [
        '  on-n1: { cpus: 0.25, memory: 128MiB, placement: { constraints: ["node.labels.berth-test-node==n1"] } }',
        '  on-n2: { cpus: 0.25, memory: 128MiB, placement: { constraints: ["node.labels.berth-test-node==n2"] } }',
      ].join('\n'),
    });
    // Two tenants, each with one instance on each node.
    const wanted = [['a1', 'alpha', 'on-n1'], ['a2', 'alpha', 'on-n2'], ['b1', 'bravo', 'on-n1'], ['b2', 'bravo', 'on-n2']] as const;
    for (const [name, tenant, plan] of wanted) {
      const res = await createInstance(td, { name, tenant, plan, image: testEnv.image, port: 8080, health });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    for (const [name] of wanted) {
      const r = await until(() => getInstance(td, name), (x) => x.body.status === 'running' && Boolean(x.body.node), 150_000, 250);
      expect(r.body.status, `${name}: ${r.body.lastError}`).toBe('running');
      const node = nodes.find((n) => n.hostname === r.body.node)!;
      const docker = nodeDocker(node);
      const [c] = await docker.listContainers({ filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${r.body.id}`] } });
      const info = await docker.getContainer(c!.Id).inspect();
      const addresses = Object.fromEntries(Object.entries(info.NetworkSettings.Networks).map(([net, v]) => [net, v.IPAddress]));
      placed.set(name, { instance: r.body, node, containerId: c!.Id, addresses });
    }
  });
  afterAll(async () => {
    if (firewalled) for (const n of nodes) await nodeFirewall(n, 'remove', '--tag', td.scope.slice(0, 16)).catch(() => undefined);
    await td?.cleanup();
  });

  it('gives each tenant its own overlay, whatever the plan says', async () => {
    const overlayOf = (tenant: string) => `berth-${td.scope}-net-${tenant}`;
    for (const [name, p] of placed) {
      const tenant = name.startsWith('a') ? 'alpha' : 'bravo';
      expect(Object.keys(p.addresses), name).toContain(overlayOf(tenant));
      expect(Object.keys(p.addresses), name).not.toContain(overlayOf(tenant === 'alpha' ? 'bravo' : 'alpha'));
    }
    for (const tenant of ['alpha', 'bravo']) {
      const net = await manager().getNetwork(overlayOf(tenant)).inspect();
      expect(net).toMatchObject({ Driver: 'overlay', Scope: 'swarm' });
      expect(net.Labels).toMatchObject({ 'berth.scope': td.scope, 'berth.tenant': tenant });
    }
    // Nothing of this scope is on a shared overlay.
    const services = await manager().listServices({ filters: { label: [`berth.scope=${td.scope}`] } });
    const nets = await Promise.all(services.map(async (s) => (await manager().getNetwork(s.Spec!.TaskTemplate!.Networks![0]!.Target!).inspect()).Name));
    expect(new Set(nets)).toEqual(new Set([overlayOf('alpha'), overlayOf('bravo')]));
  });

  it('a task reaches its own tenant on the other node, and no address of another tenant', async () => {
    const a1 = placed.get('a1')!;
    const a2 = placed.get('a2')!;
    const net = (tenant: string) => `berth-${td.scope}-net-${tenant}`;
    // Within the tenant, across nodes, over its overlay: by address and by name (dnsrr: the task's own address).
    expect(await reach('a1', `http://${a2.addresses[net('alpha')]}:8080/health`)).toBe(true);
    expect(await reach('a1', 'http://a2:8080/health')).toBe(true);
    // Every address of the other tenant's tasks, on this node and the other: refused or unroutable.
    for (const other of ['b1', 'b2']) {
      for (const [network, address] of Object.entries(placed.get(other)!.addresses)) {
        expect(await reach('a1', `http://${address}:8080/health`), `a1 → ${other} at ${address} (${network})`).toBe(false);
      }
      expect(await reach('a1', `http://${other}:8080/health`), `a1 → ${other} by name`).toBe(false);
    }
    expect(a1.node.hostname).toBe(n1!.hostname);
  });

  it('with the node firewall applied, published ports answer berth only, not other tenants’ tasks', async () => {
    const b1 = placed.get('b1')!.instance;
    const b2 = placed.get('b2')!.instance;
    // Without it, a published port is open to anything that reaches the node: the hole the recipe closes.
    expect(await reach('a1', `http://${n2!.address}:${b2.hostPort}/health`)).toBe(true);

    const { start, end } = td.daemon.config.ports;
    for (const n of nodes) await nodeFirewall(n, 'apply', '--allow', BERTH_ADDRESS, '--ports', `${start}:${end}`, '--tag', td.scope.slice(0, 16));
    firewalled = true;
    // Another node's task (through DNAT) and a task on the same node (through the port proxy): refused.
    expect(await reach('a1', `http://${n2!.address}:${b2.hostPort}/health`)).toBe(false);
    expect(await reach('a1', `http://${n1!.address}:${b1.hostPort}/health`)).toBe(false);
    // berth still reaches every instance: its URL answers here and its probes keep passing.
    for (const p of placed.values()) expect((await fetch(`${p.instance.url}/health`)).status).toBe(200);
    const before = (await getInstance(td, 'b2')).body.checksPassed;
    const later = await until(() => getInstance(td, 'b2'), (r) => r.body.checksPassed >= before + 3, 20_000);
    expect(later.body).toMatchObject({ status: 'running', consecutiveFailures: 0 });

    // remove takes back exactly what apply added.
    for (const n of nodes) await nodeFirewall(n, 'remove', '--tag', td.scope.slice(0, 16));
    firewalled = false;
    expect(await nodeFirewall(n1!, 'show', '--tag', td.scope.slice(0, 16))).toMatch(/^no BERTH-PORTS-/);
    expect(await reach('a1', `http://${n2!.address}:${b2.hostPort}/health`)).toBe(true);
  });
});
