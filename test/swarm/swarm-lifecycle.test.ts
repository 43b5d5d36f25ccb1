import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, untilStatus, until } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { clusterNodes, execIn, manager, nodeDocker, startSwarmDaemon } from './cluster.js';

const SECRET = 'sk-swarm-4c1d9e7a2b';

interface ServiceSpecView {
  Spec: {
    Mode: { Replicated: { Replicas: number } };
    Labels: Record<string, string>;
    TaskTemplate: {
      ContainerSpec: { Env: string[]; User: string; CapabilityDrop: string[]; Secrets: Array<{ File: { Name: string } }>; ReadOnly?: boolean };
      Resources: { Limits: { NanoCPUs: number; MemoryBytes: number; Pids: number } };
      RestartPolicy: { Condition: string };
      LogDriver: { Name: string; Options: Record<string, string> };
    };
    EndpointSpec: { Ports: Array<{ PublishMode: string; PublishedPort: number; TargetPort: number }> };
  };
}

describe(`instance lifecycle on a Swarm cluster (${testEnv.store})`, () => {
  let td: TestDaemon;
  let acme: Instance;
  const docker = manager();
  const nodes = clusterNodes();
  const service = async (id: string) => (await docker.getService(id).inspect()) as unknown as ServiceSpecView;

  beforeAll(async () => {
    td = await startSwarmDaemon();
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('creates an instance as a one-replica service with berth hardening, a Swarm secret and a host-mode port; healthy on its node', async () => {
    const res = await createInstance(td, {
      tenant: 'acme', plan: 'starter', image: testEnv.image, env: { LOG_LEVEL: 'info' }, secrets: { OPENAI_API_KEY: SECRET },
      port: 8080, health: { path: '/health', intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 },
    }, '?wait=running&timeout=120');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    acme = res.body;
    expect(acme.status).toBe('running');
    // The node running it is in the view, and the URL points at that node.
    const node = nodes.find((n) => n.hostname === acme.node);
    expect(node, `node ${acme.node}`).toBeDefined();
    expect(acme.url).toBe(`http://${node!.address}:${acme.hostPort}`);
    expect((await fetch(`${acme.url}/health`)).status).toBe(200);

    const s = await service(acme.containerId!);
    const t = s.Spec.TaskTemplate;
    expect(s.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(s.Spec.Labels).toMatchObject({ 'berth.managed': 'true', 'berth.scope': td.scope, 'berth.instance': acme.id, 'berth.tenant': 'acme' });
    expect(t.Resources.Limits).toEqual({ NanoCPUs: 500000000, MemoryBytes: 536870912, Pids: 256 });
    expect(t.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(t.ContainerSpec.User).toBe('65534:65534');
    expect(t.RestartPolicy.Condition).toBe('none');
    expect(t.LogDriver).toEqual({ Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } });
    expect(s.Spec.EndpointSpec.Ports).toEqual([expect.objectContaining({ PublishMode: 'host', PublishedPort: acme.hostPort, TargetPort: 8080 })]);
    // The secret is a Swarm secret file, never a value in the spec.
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(t.ContainerSpec.Env).toContain('OPENAI_API_KEY_FILE=/run/secrets/OPENAI_API_KEY');
    expect(t.ContainerSpec.Secrets.map((x) => x.File.Name)).toEqual(['OPENAI_API_KEY']);

    // On the node: the task's container runs with the limits, and the secret file holds the value.
    const engine = nodeDocker(node!);
    const [container] = await engine.listContainers({ filters: { label: [`berth.instance=${acme.id}`] } });
    const c = await engine.getContainer(container!.Id).inspect();
    expect(c.HostConfig.CapDrop).toEqual(['ALL']);
    expect(c.HostConfig.PidsLimit).toBe(256);
    expect(c.HostConfig.Mounts?.some((m) => m.Target === '/workspace' && m.Type === 'volume')).toBe(true);
    const exec = await td.api<{ items: unknown[] }>('GET', `/v1/instances/${acme.id}/stats`);
    expect(exec.status, JSON.stringify(exec.body)).toBe(200);

    // no-new-privileges: not in the service spec (API 1.41 has no field for it) but set by the
    // node's engine (the test cluster runs dockerd --no-new-privileges); berth measures it.
    const status = await execIn(engine, container!.Id, ['cat', '/proc/1/status']);
    expect(status.output).toMatch(/^NoNewPrivs:\s*1$/m);
    const listed = await td.api<{ items: Array<{ hostname: string; noNewPrivileges: string | null }> }>('GET', '/v1/nodes');
    expect(listed.body.items.find((n) => n.hostname === node!.hostname)?.noNewPrivileges).toBe('enforced');
  });

  it('stops (scale 0), starts (scale 1) and restarts (a new task), staying healthy', async () => {
    let res = await td.api<Instance>('POST', `/v1/instances/${acme.id}/actions`, { action: 'stop' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await untilStatus(td, acme.id, 'stopped');
    expect((await service(acme.containerId!)).Spec.Mode.Replicated.Replicas).toBe(0);
    const refused = await fetch(`${acme.url}/health`).then((r) => r.status, () => 'refused');
    expect(refused).toBe('refused');

    res = await td.api<Instance>('POST', `/v1/instances/${acme.id}/actions`, { action: 'start' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const started = await untilStatus(td, acme.id, 'running', 120_000);
    expect((await service(acme.containerId!)).Spec.Mode.Replicated.Replicas).toBe(1);
    expect((await fetch(`${started.url}/health`)).status).toBe(200);

    const runningTask = async () => ((await docker.listTasks({ filters: { service: [acme.containerId!], 'desired-state': ['running'] } })) as Array<{ ID: string; Status: { State: string } }>)
      .find((t) => t.Status.State === 'running')?.ID;
    const before = await runningTask();
    res = await td.api<Instance>('POST', `/v1/instances/${acme.id}/actions`, { action: 'restart' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = await until(runningTask, (id) => id !== undefined && id !== before, 120_000);
    expect(after).not.toBe(before);
    const restarted = await until(() => getInstance(td, acme.id), (r) => r.body.status === 'running', 120_000);
    expect(restarted.body.status).toBe('running');
    expect((await fetch(`${restarted.body.url}/health`)).status).toBe(200);
  });

  it('a crashed task (killed on its node) is seen from the task states and restarted by berth', async () => {
    const current = (await getInstance(td, acme.id)).body;
    const node = nodes.find((n) => n.hostname === current.node)!;
    const engine = nodeDocker(node);
    const [container] = await engine.listContainers({ filters: { label: [`berth.instance=${acme.id}`] } });
    const killedAt = Date.now();
    await engine.getContainer(container!.Id).kill();
    const back = await until(() => getInstance(td, acme.id), (r) => r.body.status === 'running' && r.body.restarts === current.restarts + 1, 120_000, 200);
    console.log(`[swarm] task killed → running again: ${Date.now() - killedAt} ms`);
    // Healthy again: the exit code is cleared from the instance and kept in its `exited` event.
    expect(back.body).toMatchObject({ status: 'running', restarts: current.restarts + 1, lastExitCode: null });
    const exited = await until(() => td.api<{ items: Array<{ type: string; data?: { exitCode?: number } }> }>('GET', `/v1/events?instance=${acme.id}&type=exited`), (r) => r.body.items.length > 0, 15_000);
    expect(exited.body.items.map((e) => e.data?.exitCode)).toContain(137);
    expect((await fetch(`${back.body.url}/health`)).status).toBe(200);
  });

  it('reads the service logs', async () => {
    const res = await fetch(`${td.url}/v1/instances/${acme.id}/logs?tail=50`, { headers: { authorization: `Bearer ${td.token}` } });
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBeGreaterThan(0);
  });

  it('deletes: the service and its secret are gone', async () => {
    const res = await td.api('DELETE', `/v1/instances/${acme.id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const gone = await until(() => docker.listServices({ filters: { label: [`berth.instance=${acme.id}`] } }), (l) => l.length === 0, 60_000);
    expect(gone).toEqual([]);
    const secrets = await until(() => docker.listSecrets({ filters: { label: [`berth.instance=${acme.id}`] } }) as Promise<unknown[]>, (l) => l.length === 0, 60_000);
    expect(secrets).toEqual([]);
  });
});
