import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, getInstance, until, untilStatus, type ErrorBody } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { engineInfo } from '../../src/runtime/docker/engine-info.js';

const SECRET = 'sk-lifecycle-7f3a9c1e5b';

describe(`instance lifecycle on the real engine (${testEnv.store})`, () => {
  let td: TestDaemon;
  let acme: Instance;
  const docker = rawDocker();

  beforeAll(async () => {
    td = await startTestDaemon();
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('creates acme on starter: hardened container with the plan limits, labels, port and workspace; wait=running returns once healthy', async () => {
    const res = await createInstance(td, {
      tenant: 'acme', plan: 'starter', image: testEnv.image, env: { LOG_LEVEL: 'info' }, secrets: { OPENAI_API_KEY: SECRET },
      port: 8080, health: { path: '/health', intervalSeconds: 5, timeoutSeconds: 2, startPeriodSeconds: 5 },
    }, '?wait=running&timeout=60');
    expect(res.status).toBe(201);
    acme = res.body;
    expect(acme).toMatchObject({ name: 'acme', tenant: 'acme', plan: 'starter', status: 'running', desiredState: 'running', port: 8080, secretNames: ['OPENAI_API_KEY'] });
    expect(acme.url).toBe(`http://127.0.0.1:${acme.hostPort}`);
    expect(acme.hostPort).toBeGreaterThanOrEqual(20000);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    // Healthy through the published port, as wait=running promised.
    expect((await fetch(`${acme.url}/health`)).status).toBe(200);

    const c = await docker.getContainer(acme.containerId!).inspect();
    // The same assertions hold on Podman (scripts/test-podman.sh) except where it reports differently.
    const podman = engineInfo(await docker.version()).engine === 'podman';
    const hc = c.HostConfig;
    expect(c.Name).toBe(`/berth-${td.scope}-acme`);
    expect(hc.NanoCpus).toBe(500000000);
    expect(hc.Memory).toBe(536870912);
    expect(hc.MemorySwap).toBe(536870912);
    expect(hc.PidsLimit).toBe(256);
    // Docker reports the drop as ['ALL']; Podman lists each capability it dropped. None comes back.
    if (hc.CapDrop?.includes('ALL')) expect(hc.CapDrop).toEqual(['ALL']);
    else expect(hc.CapDrop).toEqual(expect.arrayContaining(['CHOWN', 'DAC_OVERRIDE', 'KILL', 'NET_RAW', 'SETGID', 'SETUID', 'SYS_CHROOT']));
    expect(hc.CapAdd ?? []).toEqual([]);
    // Docker echoes 'no-new-privileges:true'; Podman reports 'no-new-privileges'.
    expect((hc.SecurityOpt ?? []).some((o: string) => /^no-new-privileges(:true)?$/.test(o))).toBe(true);
    expect(hc.Privileged).toBe(false);
    expect(hc.RestartPolicy?.Name).toBe('no');
    if (podman) {
      // Podman applies max-size (its own inspect shows Size 10MB; it keeps one file, so no
      // max-file) but its Docker-compatible inspect does not echo the options back.
      expect(hc.LogConfig?.Type).toBe('json-file');
    } else {
      expect(hc.LogConfig).toMatchObject({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    }
    // Docker reports the default (own) PID namespace as '', Podman as 'private'.
    expect(['', 'private']).toContain(hc.PidMode ?? '');
    expect(hc.IpcMode).not.toBe('host');
    // Podman reports NetworkMode 'bridge' for any bridge network; the attachment says which.
    if (podman) expect(Object.keys(c.NetworkSettings.Networks)).toEqual([`berth-shared-${td.scope}`]);
    else expect(hc.NetworkMode).toBe(`berth-shared-${td.scope}`);
    expect(hc.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(acme.hostPort) }] });
    expect(c.Config.User).toBe('65534:65534');
    expect(c.Config.Labels).toMatchObject({
      'berth.managed': 'true', 'berth.scope': td.scope, 'berth.instance': acme.id, 'berth.name': 'acme',
      'berth.tenant': 'acme', 'berth.plan': 'starter', 'berth.port': String(acme.hostPort),
    });
    const ws = c.Mounts.find((m) => m.Destination === '/workspace');
    // Named by the instance id: a later instance of the same name can never mount it.
    expect(ws).toMatchObject({ Type: 'volume', Name: `berth-${td.scope}-ws-${acme.id}`, RW: true });
    expect(c.Mounts.some((m) => m.Type === 'bind' && /docker\.sock/.test(m.Source))).toBe(false);
    const net = await docker.getNetwork(`berth-shared-${td.scope}`).inspect();
    if (podman) {
      // Podman (netavark) drops enable_icc with a warning: no isolation on the shared bridge.
      // berth doctor warns about it and the README says so (test/podman checks the warning).
      expect(net.Options?.['com.docker.network.bridge.enable_icc']).toBeUndefined();
    } else {
      expect(net.Options?.['com.docker.network.bridge.enable_icc']).toBe('false');
    }

    // Secrets and env reach the agent; the secret is sealed at rest and never logged.
    expect(await agent(acme, '/env/value?name=OPENAI_API_KEY')).toEqual({ value: SECRET });
    expect(await agent(acme, '/env/value?name=LOG_LEVEL')).toEqual({ value: 'info' });
    expect(await agent(acme, '/env/value?name=BERTH_TENANT')).toEqual({ value: 'acme' });
    expect(await agent(acme, '/whoami')).toMatchObject({ uid: 65534, hostname: 'acme' });
    const row = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select(['secrets_sealed', 'secret_names']).where('id', '=', acme.id).executeTakeFirstOrThrow();
    expect(row.secrets_sealed).toMatch(/^v1:/);
    expect(row.secrets_sealed).not.toContain(SECRET);
    expect(td.logs.join('\n')).not.toContain(SECRET);
  });

  it('is idempotent by name: the same spec answers 200 with the same id, a different spec 409', async () => {
    const same = await createInstance(td, {
      tenant: 'acme', plan: 'starter', image: testEnv.image, env: { LOG_LEVEL: 'info' }, secrets: { OPENAI_API_KEY: SECRET },
      port: 8080, health: { path: '/health', intervalSeconds: 5, timeoutSeconds: 2, startPeriodSeconds: 5 },
    });
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(acme.id);
    const other = await createInstance(td, { tenant: 'acme', plan: 'pro' });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'INSTANCE_CONFLICT', field: 'name' });
    // Another secret value is another spec, too.
    const secret = await createInstance(td, {
      tenant: 'acme', plan: 'starter', image: testEnv.image, env: { LOG_LEVEL: 'info' }, secrets: { OPENAI_API_KEY: 'other' },
      port: 8080, health: { path: '/health', intervalSeconds: 5, timeoutSeconds: 2, startPeriodSeconds: 5 },
    });
    expect(secret.status).toBe(409);
  });

  it('lists, filters and paginates from the store', async () => {
    const list = await td.api<{ items: Instance[]; total: number }>('GET', '/v1/instances?tenant=acme&status=running');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0]?.id).toBe(acme.id);
    expect((await td.api<{ total: number }>('GET', '/v1/instances?plan=pro')).body.total).toBe(0);
    expect((await td.api<{ items: unknown[]; total: number }>('GET', '/v1/instances?limit=1&offset=1')).body).toEqual({ items: [], total: 1, next: null });
    expect((await getInstance(td, acme.id)).body.name).toBe('acme');
    expect((await getInstance(td, 'nope')).status).toBe(404);
    const bad = await td.api<ErrorBody>('GET', '/v1/instances?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('status');

    const plans = await td.api<{ items: Array<{ name: string; default: boolean; memoryBytes: number; cpus: number; health: { path: string } }> }>('GET', '/v1/plans');
    expect(plans.body.items.map((p) => p.name)).toEqual(['business', 'pro', 'starter']);
    expect(plans.body.items.find((p) => p.name === 'starter')).toMatchObject({ default: true, cpus: 0.5, memoryBytes: 536870912, health: { path: '/health' } });

    // The OpenAPI document declares every instance route with its responses.
    const doc = (await td.api<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>('GET', '/openapi.json', undefined, null)).body;
    for (const [path, method, status] of [
      ['/v1/instances', 'post', '202'], ['/v1/instances', 'get', '200'], ['/v1/instances/{idOrName}', 'delete', '200'],
      ['/v1/instances/{idOrName}/actions', 'post', '200'], ['/v1/instances/{idOrName}/logs', 'get', '200'],
      ['/v1/instances/{idOrName}/stats', 'get', '200'], ['/v1/instances/{idOrName}/events', 'get', '200'],
      ['/v1/plans', 'get', '200'], ['/v1/events', 'get', '200'],
    ] as const) {
      expect.soft(doc.paths[path]?.[method]?.responses[status], `${method} ${path}`).toBeDefined();
    }
  });

  it('serves logs (text, NDJSON, follow) and one-shot stats', async () => {
    const text = await fetch(`${td.url}/v1/instances/acme/logs?tail=20`, { headers: { authorization: `Bearer ${td.token}` } });
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toContain('text/plain');
    expect(await text.text()).toMatch(/^\d{4}-\d\d-\d\dT\S+ .*listening on 8080$/m);

    const nd = await fetch(`${td.url}/v1/instances/acme/logs?tail=5&format=ndjson`, { headers: { authorization: `Bearer ${td.token}` } });
    const lines = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l) as { stream: string; time: string; text: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.stream === 'stdout' && l.text.includes('test-agent'))).toBe(true);

    // follow: a line the agent logs after the request started arrives on the open stream.
    const abort = new AbortController();
    const follow = await fetch(`${td.url}/v1/instances/acme/logs?tail=0&follow=true`, { headers: { authorization: `Bearer ${td.token}` }, signal: abort.signal });
    expect(follow.status).toBe(200);
    const reader = follow.body!.getReader();
    let seen = '';
    // The agent logs both lines each time it is poked; poke again until the open stream carried
    // both (the engine attaches the follow a moment after the answer's headers).
    const poke = async (): Promise<void> => {
      await fetch(`${acme.url}/fail`, { method: 'POST' });
      await fetch(`${acme.url}/recover`, { method: 'POST' });
    };
    await poke();
    const poker = setInterval(() => void poke().catch(() => undefined), 1000);
    const deadline = Date.now() + 15_000;
    try {
      while (!(seen.includes('health set to failing') && seen.includes('health set to ok')) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += Buffer.from(value).toString('utf8');
      }
    } finally {
      clearInterval(poker);
    }
    abort.abort();
    expect(seen).toContain('health set to failing');
    expect(seen).toContain('health set to ok');

    const stats = await td.api<{ instance: string; memoryLimitBytes: number; pids: number; memoryBytes: number }>('GET', '/v1/instances/acme/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.instance).toBe('acme');
    expect(stats.body.memoryLimitBytes).toBe(536870912);
    expect(stats.body.pids).toBeGreaterThan(0);
  });

  it('stops, starts and restarts; the workspace survives restart and a recreated container', async () => {
    const written = await agent(acme, '/workspace?file=notes.txt', { method: 'PUT', body: 'remember me' });
    expect(written).toEqual({ written: 'notes.txt' });

    const stopped = await td.api<Instance>('POST', '/v1/instances/acme/actions', { action: 'stop', reason: 'maintenance' });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
    expect((await docker.getContainer(acme.containerId!).inspect()).State.Running).toBe(false);
    // A stopped instance stays stopped through a reconcile.
    await td.daemon.reconciler.reconcileNow();
    expect((await getInstance(td, 'acme')).body.status).toBe('stopped');

    const started = await td.api<Instance>('POST', '/v1/instances/acme/actions?wait=running&timeout=60', { action: 'start' });
    expect(started.body).toMatchObject({ status: 'running', desiredState: 'running', hostPort: acme.hostPort });

    const restarted = await td.api<Instance>('POST', '/v1/instances/acme/actions?wait=running&timeout=60', { action: 'restart' });
    expect(restarted.body.status).toBe('running');
    expect(restarted.body.startedAt! > started.body.startedAt!).toBe(true);
    expect(await agent(acme, '/workspace?file=notes.txt')).toEqual({ content: 'remember me' });

    // The container disappears behind berth's back: the reconciler recreates it, same port, same workspace.
    await docker.getContainer(acme.containerId!).remove({ force: true });
    const report = await td.daemon.reconciler.reconcileNow();
    expect(report.errors).toEqual([]);
    const back = await untilStatus(td, 'acme', 'running');
    expect(back.containerId).not.toBe(acme.containerId);
    expect(back.hostPort).toBe(acme.hostPort);
    expect(await agent(back, '/workspace?file=notes.txt')).toEqual({ content: 'remember me' });
    acme = back;
  });

  it('records every action in the event history with actor and reason', async () => {
    const ev = await td.api<{ items: Array<{ type: string; actor: string; message: string; instance: string }> }>('GET', '/v1/instances/acme/events?limit=100');
    expect(ev.status).toBe(200);
    const types = ev.body.items.map((e) => e.type);
    for (const t of ['created', 'started', 'running', 'stopped', 'recreated']) expect(types).toContain(t);
    const stop = ev.body.items.find((e) => e.type === 'stopped');
    expect(stop).toMatchObject({ actor: 'admin', message: 'maintenance' });
    expect(ev.body.items.find((e) => e.type === 'recreated')?.actor).toBe('berth');
    expect(ev.body.items.find((e) => e.message === 'restarted on request')).toMatchObject({ type: 'restarted', actor: 'admin', data: { cause: 'requested' } });
    const all = await td.api<{ items: Array<{ instance: string }> }>('GET', '/v1/events?tenant=acme&type=created');
    expect(all.body.items.map((e) => e.instance)).toEqual(['acme']);
  });

  it('moves to another host port when another process took its port while it was stopped', async () => {
    await td.api('POST', '/v1/instances/acme/actions', { action: 'stop' });
    const squatter = net.createServer();
    await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(acme.hostPort!, '127.0.0.1', resolve));
    try {
      const started = await td.api<Instance>('POST', '/v1/instances/acme/actions?wait=running&timeout=60', { action: 'start' });
      expect(started.status).toBe(200);
      expect(started.body.status).toBe('running');
      expect(started.body.hostPort).not.toBe(acme.hostPort);
      expect((await fetch(`${started.body.url}/health`)).status).toBe(200);
      const ev = await td.api<{ items: Array<{ type: string; data: { from: number; to: number } }> }>('GET', '/v1/instances/acme/events?type=port-reassigned');
      expect(ev.body.items[0]?.data).toEqual({ from: acme.hostPort, to: started.body.hostPort });
      acme = started.body;
    } finally {
      squatter.close();
    }
  });

  it('lets a tenant token see and act on its own tenant only', async () => {
    const tok = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'acme-ci', tenant: 'acme' });
    expect(tok.status).toBe(201);
    const t = tok.body.token;
    const other = await createInstance(td, { tenant: 'globex', image: testEnv.image });
    expect(other.status).toBe(202);
    const mine = await td.api<{ items: Instance[]; total: number }>('GET', '/v1/instances', undefined, t);
    expect(mine.body.items.map((i) => i.name)).toEqual(['acme']);
    expect((await td.api('GET', '/v1/instances/globex', undefined, t)).status).toBe(404);
    expect((await td.api('POST', '/v1/instances/globex/actions', { action: 'stop' }, t)).status).toBe(404);
    expect((await td.api('POST', '/v1/instances', { tenant: 'globex', name: 'sneaky' }, t)).status).toBe(403);
    expect((await td.api('GET', '/v1/instances?tenant=globex', undefined, t)).status).toBe(403);
    const ev = await td.api<{ items: Array<{ tenant: string }> }>('GET', '/v1/events', undefined, t);
    expect(ev.body.items.length).toBeGreaterThan(0);
    expect(new Set(ev.body.items.map((e) => e.tenant))).toEqual(new Set(['acme']));
    const del = await td.api('DELETE', '/v1/instances/globex');
    expect(del.status).toBe(200);
  });

  it('deletes: container, workspace and port are gone; keepData keeps the workspace for a re-create', async () => {
    const kept = await createInstance(td, { tenant: 'keeper', image: testEnv.image }, '?wait=running&timeout=60');
    expect(kept.status).toBe(201);
    await agent(kept.body, '/workspace?file=k.txt', { method: 'PUT', body: 'kept' });
    const delKept = await td.api<Instance>('DELETE', '/v1/instances/keeper?keepData=true');
    expect(delKept.status).toBe(200);
    const volume = `berth-${td.scope}-ws-${kept.body.id}`;
    expect((await docker.getVolume(volume).inspect()).Name).toBe(volume);
    await td.daemon.reconciler.reconcileNow();
    expect((await docker.getVolume(volume).inspect()).Name).toBe(volume);
    const keptList = await td.api<{ items: Array<{ id: string; volume: string; tenant: string }> }>('GET', '/v1/workspaces?tenant=keeper');
    expect(keptList.body.items).toEqual([expect.objectContaining({ volume, tenant: 'keeper' })]);
    // The same name again gets a fresh workspace; the kept one is attached only when asked for by id.
    const fresh = await createInstance(td, { tenant: 'keeper', image: testEnv.image }, '?wait=running&timeout=60');
    expect(fresh.body.id).not.toBe(kept.body.id);
    expect(await fetch(`${fresh.body.url}/workspace?file=k.txt`).then((r) => r.status)).toBe(404);
    expect((await td.api('DELETE', '/v1/instances/keeper')).status).toBe(200);
    const again = await createInstance(td, { tenant: 'keeper', image: testEnv.image, workspace: { from: keptList.body.items[0]!.id } }, '?wait=running&timeout=60');
    expect(again.body.id).not.toBe(kept.body.id);
    expect(await agent(again.body, '/workspace?file=k.txt')).toEqual({ content: 'kept' });
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces?tenant=keeper')).body.total).toBe(0);

    const del = await td.api<Instance>('DELETE', '/v1/instances/acme');
    expect(del.status).toBe(200);
    expect((await getInstance(td, 'acme')).status).toBe(404);
    await expect(docker.getContainer(acme.containerId!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(`berth-${td.scope}-ws-${acme.id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const ports = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select('host_port').execute();
    expect(ports.map((p) => p.host_port)).not.toContain(acme.hostPort);
    // The event is written behind the delete's answer: wait for it (bounded), then exactly one.
    const ev = await until(() => td.api<{ items: Array<{ type: string }> }>('GET', '/v1/events?instance=acme&type=deleted'), (r) => r.body.items.length > 0, 15_000);
    expect(ev.body.items).toHaveLength(1);
    await td.api('DELETE', '/v1/instances/keeper');
    await expect(docker.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
