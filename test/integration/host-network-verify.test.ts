import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { until } from '../helpers/instances.js';

let td: TestDaemon;
let shared: string;

beforeAll(async () => {
  td = await startTestDaemon();
  shared = `berth-shared-${td.scope}`;
});
afterAll(async () => {
  await rawDocker().getNetwork(shared).remove().catch(() => undefined);
  await td?.cleanup();
});

async function createAndSettle(name: string): Promise<{ status: number; body: { status?: string; lastError?: string | null; error?: { code: string; message: string } } }> {
  const made = await td.api<{ status?: string; lastError?: string | null; error?: { code: string; message: string } }>('POST', '/v1/instances', { tenant: name, name, plan: 'starter' });
  if (made.status >= 400) return made;
  return until(() => td.api<{ status?: string; lastError?: string | null }>('GET', `/v1/instances/${name}`), (r) => Boolean(r.body.lastError) || r.body.status === 'running' || r.body.status === 'failed', 60_000);
}

describe(`networks are verified, not trusted (${testEnv.store})`, () => {
  it('refuses a pre-made shared network without berth labels, naming it and the fix', async () => {
    // Made by "someone else": the right name, no labels, inter-container traffic on (Docker's default).
    await rawDocker().createNetwork({ Name: shared, Driver: 'bridge' });
    const res = await createAndSettle('netv-a');
    const text = JSON.stringify(res.body);
    expect(text, text).toContain(shared);
    expect(text).toMatch(/berth will not use it/);
    expect(text).toMatch(/lacks berth's labels/);
    expect(text).toMatch(/inter-container traffic is on/);
    expect(text).toMatch(/docker network rm/);
    // No tenant container joined it.
    const net = await rawDocker().getNetwork(shared).inspect() as { Containers?: Record<string, unknown> };
    expect(Object.keys(net.Containers ?? {})).toEqual([]);
    await td.api('DELETE', '/v1/instances/netv-a');
    await rawDocker().getNetwork(shared).remove();
  });

  it('refuses a labelled one with inter-container traffic on, and uses its own once the bad one is gone', async () => {
    await rawDocker().createNetwork({
      Name: shared, Driver: 'bridge',
      Labels: { 'berth.managed': 'true', 'berth.scope': td.scope, 'berth.kind': 'network' },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
    });
    const res = await createAndSettle('netv-b');
    const text = JSON.stringify(res.body);
    expect(text, text).toContain(shared);
    expect(text).toMatch(/inter-container traffic is on/);
    expect(text).not.toMatch(/lacks berth's labels/);
    await td.api('DELETE', '/v1/instances/netv-b');
    await until(async () => (await td.api('GET', '/v1/instances/netv-b')).status, (s) => s === 404, 30_000);
    await rawDocker().getNetwork(shared).remove();

    const ok = await td.api<{ status: string }>('POST', '/v1/instances?wait=running&timeout=60', { tenant: 'netv-c', name: 'netv-c', plan: 'starter' });
    expect(ok.body.status).toBe('running');
    const made = await rawDocker().getNetwork(shared).inspect() as { Options?: Record<string, string>; Labels?: Record<string, string> };
    expect(made.Options?.['com.docker.network.bridge.enable_icc']).toBe('false');
    expect(made.Labels?.['berth.scope']).toBe(td.scope);
  });

  it('two networks left under one name by racing creators: keeps the oldest, removes the other, and the create goes through', async () => {
    // What two berth processes creating the shared bridge at once can leave (the engine's duplicate check is best effort).
    await td.api('DELETE', '/v1/instances/netv-c');
    await until(async () => (await td.api('GET', '/v1/instances/netv-c')).status, (s) => s === 404, 30_000);
    await rawDocker().getNetwork(shared).remove().catch(() => undefined);
    const twin = {
      Name: shared, Driver: 'bridge', CheckDuplicate: false,
      Labels: { 'berth.managed': 'true', 'berth.scope': td.scope, 'berth.kind': 'network', 'berth.egress': 'public', 'berth.egress-allow': '' },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    };
    const first = await rawDocker().createNetwork(twin);
    await rawDocker().createNetwork(twin);
    const named = async (): Promise<string[]> => (await rawDocker().listNetworks({ filters: { name: [shared] } })).filter((n) => n.Name === shared).map((n) => n.Id);
    expect(await named()).toHaveLength(2);
    const ok = await td.api<{ status: string; lastError: string | null }>('POST', '/v1/instances?wait=running&timeout=60', { tenant: 'netv-d', name: 'netv-d', plan: 'starter' });
    expect(ok.body, JSON.stringify(ok.body)).toMatchObject({ status: 'running' });
    expect(await named()).toEqual([first.id]);
  });
});
