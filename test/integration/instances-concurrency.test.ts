import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, until } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const TENANTS = 50;

async function containerIp(id: string): Promise<string> {
  const c = await rawDocker().getContainer(id).inspect();
  const ip = Object.values(c.NetworkSettings.Networks ?? {})[0]?.IPAddress;
  if (!ip) throw new Error(`container ${id} has no IP`);
  return ip;
}

describe(`concurrent creates and tenant isolation (${testEnv.store})`, () => {
  let td: TestDaemon;
  const docker = rawDocker();

  const soul = mkdtempSync(path.join(tmpdir(), 'berth-soul-'));

  beforeAll(async () => {
    writeFileSync(path.join(soul, 'prompt.md'), 'be kind');
    // `isolated` gives every tenant its own network; small limits keep 50 agents cheap.
    td = await startTestDaemon({
      yaml: [
        'plans:',
        '  isolated: { cpus: 0.25, memory: 128MiB, pidsLimit: 64, dedicatedNetwork: true }',
        '  tiny: { cpus: 0.25, memory: 128MiB, pidsLimit: 64 }',
        '  locked: { cpus: 0.25, memory: 128MiB, pidsLimit: 64, readOnlyRootfs: true, dedicatedNetwork: true, internalNetwork: true }',
        'health: { intervalSeconds: 5, startPeriodSeconds: 5 }',
        'runtime:',
        `  mounts: [{ source: "${soul}", target: /soul }]`,
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('20 parallel identical creates make one row and one container, all answering with the same id', async () => {
    const body = { tenant: 'same', plan: 'tiny', image: testEnv.image, env: { A: '1' }, secrets: { S: 's' } };
    const answers = await Promise.all(Array.from({ length: 20 }, () => createInstance(td, body)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const rows = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select(['id', 'host_port']).where('name', '=', 'same').execute();
    expect(rows).toHaveLength(1);
    const running = await until(() => td.api<Instance>('GET', '/v1/instances/same'), (r) => r.body.status === 'running', 60_000);
    expect(running.body.status).toBe('running');
    const containers = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, 'berth.name=same'] } });
    expect(containers).toHaveLength(1);
    expect(containers[0]?.Id).toBe(running.body.containerId);
    expect((await td.api('DELETE', '/v1/instances/same')).status).toBe(200);
  });

  it(`${TENANTS} tenants at once on dedicated networks: distinct ports and subnets, all running, and isolated from each other`, async () => {
    const began = Date.now();
    const created = await Promise.all(Array.from({ length: TENANTS }, (_, i) => createInstance(td, { tenant: `t${i}`, plan: 'isolated', image: testEnv.image })));
    expect(created.map((c) => c.status)).toEqual(Array(TENANTS).fill(202));
    const ports = created.map((c) => c.body.hostPort);
    expect(new Set(ports).size).toBe(TENANTS);

    const all = await until(
      () => td.api<{ items: Instance[] }>('GET', '/v1/instances?limit=1000'),
      (r) => r.body.items.filter((i) => i.status === 'running').length === TENANTS,
      240_000, 1000,
    );
    const runningAfter = Date.now() - began;
    const notRunning = all.body.items.filter((i) => i.status !== 'running').map((i) => `${i.name}:${i.status}:${i.lastError}`);
    expect(notRunning).toEqual([]);

    // One network per tenant, each with its own subnet from berth's pool (not Docker's default pools).
    const networks = await docker.listNetworks({ filters: { label: [`berth.scope=${td.scope}`] } });
    const tenantNets = networks.filter((n) => n.Labels?.['berth.tenant']);
    expect(tenantNets).toHaveLength(TENANTS);
    const subnets = tenantNets.map((n) => n.IPAM?.Config?.[0]?.Subnet ?? '');
    expect(new Set(subnets).size).toBe(TENANTS);
    for (const s of subnets) expect(s).toMatch(/^10\.211\.\d+\.\d+\/28$/);
    const inspected = await docker.getNetwork(tenantNets[0]!.Id).inspect();
    expect(inspected.Internal).toBe(false);

    // Tenant A cannot open a TCP connection to tenant B's container; it can reach itself.
    const [a, b] = [all.body.items.find((i) => i.name === 't0')!, all.body.items.find((i) => i.name === 't1')!];
    const [ipA, ipB] = [await containerIp(a.containerId!), await containerIp(b.containerId!)];
    expect(await agent(a, `/connect?host=${ipA}&port=8080`)).toMatchObject({ connected: true });
    expect(await agent(a, `/connect?host=${ipB}&port=8080`)).toMatchObject({ connected: false });
    expect(await agent(b, `/connect?host=${ipA}&port=8080`)).toMatchObject({ connected: false });

    // Delete them all at once: containers, volumes, networks and ports go.
    const deleting = Date.now();
    const deleted = await Promise.all(all.body.items.map((i) => td.api('DELETE', `/v1/instances/${i.id}`)));
    console.log(`[concurrency] ${TENANTS} tenants on dedicated networks: all running after ${Math.round(runningAfter / 1000)} s, all deleted in ${Math.round((Date.now() - deleting) / 1000)} s`);
    expect(deleted.map((d) => d.status)).toEqual(Array(TENANTS).fill(200));
    const filters = { label: [`berth.scope=${td.scope}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect((await docker.listNetworks({ filters })).filter((n) => n.Labels?.['berth.tenant'])).toEqual([]);
    expect(await unsafeDbForTests(td.daemon.store).selectFrom('networks').selectAll().execute()).toEqual([]);
    expect(await unsafeDbForTests(td.daemon.store).selectFrom('instances').selectAll().execute()).toEqual([]);
  }, 400_000);

  it('on the shared bridge, inter-container traffic is off: tenants cannot reach each other', async () => {
    const [a, b] = await Promise.all(['sa', 'sb'].map((tenant) => createInstance(td, { tenant, plan: 'tiny', image: testEnv.image }, '?wait=running&timeout=90')));
    expect([a!.status, b!.status]).toEqual([201, 201]);
    const [ipA, ipB] = [await containerIp(a!.body.containerId!), await containerIp(b!.body.containerId!)];
    const net = (await docker.getContainer(a!.body.containerId!).inspect()).HostConfig.NetworkMode;
    expect(net).toBe((await docker.getContainer(b!.body.containerId!).inspect()).HostConfig.NetworkMode);
    expect(await agent(a!.body, `/connect?host=${ipA}&port=8080`)).toMatchObject({ connected: true });
    expect(await agent(a!.body, `/connect?host=${ipB}&port=8080`)).toMatchObject({ connected: false });
  });

  it('plan options: read-only rootfs with a tmpfs /tmp, a tenant network without egress; operator mounts are read-only', async () => {
    const res = await createInstance(td, { tenant: 'vault', plan: 'locked', image: testEnv.image }, '?wait=running&timeout=90');
    expect(res.status).toBe(201);
    const c = await docker.getContainer(res.body.containerId!).inspect();
    expect(c.HostConfig.ReadonlyRootfs).toBe(true);
    expect(Object.keys(c.HostConfig.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(c.HostConfig.NanoCpus).toBe(250000000);
    expect(c.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(c.HostConfig.PidsLimit).toBe(64);
    const soulMount = c.Mounts.find((m) => m.Destination === '/soul');
    expect(soulMount).toMatchObject({ Type: 'bind', Source: soul, RW: false });
    const net = await docker.getNetwork(c.HostConfig.NetworkMode!).inspect();
    // No egress: no NAT to the outside (Docker's `internal` would also drop the published port).
    expect(net.Internal).toBe(false);
    expect(net.Options?.['com.docker.network.bridge.enable_ip_masquerade']).toBe('false');
    expect(net.Labels).toMatchObject({ 'berth.scope': td.scope, 'berth.tenant': 'vault' });
    // The workspace stays writable on a read-only rootfs.
    expect(await agent(res.body, '/workspace?file=w.txt', { method: 'PUT', body: 'ok' })).toEqual({ written: 'w.txt' });
    expect((await td.api('DELETE', '/v1/instances/vault')).status).toBe(200);
    await expect(docker.getNetwork(c.HostConfig.NetworkMode!).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
