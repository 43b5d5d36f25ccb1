import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, until, type ErrorBody } from '../helpers/instances.js';
import { runBerth } from '../helpers/cli.js';
import { act, execIn, pidAlive, serviceOf, type Service } from '../helpers/supervision.js';
import { startTestDaemon, uniqueScope, type TestDaemon } from '../helpers/test-daemon.js';

type ServiceList = { container: string; supervisor: string; scanDir: string; items: Service[] };
type Supervised = { name: string; kind: string; tenant: string | null; engineState: string; supervisor: string | null; serviceCount: number | null };

/** s6 services inside containers, on the real engine with berth/s6-agent (s6-svscan as PID 1, three services). */
describe(`s6 service supervision (${testEnv.store})`, () => {
  let td: TestDaemon;
  let containerId: string;
  const scope = uniqueScope('s6');
  const registeredName = `berth-${scope}-registered`;
  const inst = '/v1/instances/s6a';

  beforeAll(async () => {
    // A container berth did not create (as a compose service would be): labelled with the test scope for cleanup only.
    const docker = rawDocker();
    const reg = await docker.createContainer({
      name: registeredName, Image: testEnv.s6Image, Labels: { 'berth.scope': scope },
      HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
    });
    await reg.start();
    td = await startTestDaemon({
      scope,
      // No periodic reconcile or monitor: nothing else touches the containers while the test drives them.
      flags: { 'monitor.enabled': false, 'monitor.reconcileIntervalSeconds': 3600 },
      yaml: `supervision:\n  containers:\n    - name: stack\n      container: ${registeredName}\n      labels: { web: "Health endpoint" }\n`,
    });
    const [a, b, plain] = await Promise.all([
      createInstance(td, { tenant: 'alpha', name: 's6a', image: testEnv.s6Image }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'beta', name: 's6b', image: testEnv.s6Image }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'alpha', name: 'plain', image: testEnv.image }, '?wait=running&timeout=90'),
    ]);
    expect([a.status, b.status, plain.status], JSON.stringify([a.body, b.body, plain.body])).toEqual([201, 201, 201]);
    containerId = a.body.containerId!;
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('lists the services of an instance with state, pid, uptime and the s6-svstat line', async () => {
    const res = await td.api<ServiceList>('GET', `${inst}/services`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ supervisor: 's6', scanDir: '/run/service', container: 's6a' });
    expect(res.body.items.map((s) => s.name)).toEqual(['ticker', 'web', 'worker']);
    for (const s of res.body.items) {
      expect(s).toMatchObject({ state: 'up', wantUp: true, normallyUp: true, exitCode: null });
      expect(s.pid).toBeGreaterThan(1);
      expect(s.raw).toMatch(new RegExp(`^up \\(pid ${s.pid}\\) \\d+ seconds`));
      expect(await pidAlive(containerId, s.pid!)).toBe(true);
    }
  });

  it('down stops the process, up starts a new one, restart changes the pid', async () => {
    const before = (await serviceOf(td, inst, 'worker')).body;
    const down = await act(td, inst, 'worker', 'down');
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ state: 'down', pid: null, wantUp: false, settled: true });
    expect(down.body.raw).toMatch(/^down \(signal SIGTERM\)/);
    expect(await pidAlive(containerId, before.pid!)).toBe(false);
    expect((await serviceOf(td, inst, 'worker')).body.state).toBe('down');

    const up = await act(td, inst, 'worker', 'up');
    expect(up.body).toMatchObject({ state: 'up', settled: true });
    expect(up.body.pid).not.toBe(before.pid);
    expect(await pidAlive(containerId, up.body.pid!)).toBe(true);

    const restarted = await act(td, inst, 'worker', 'restart');
    expect(restarted.body).toMatchObject({ state: 'up', settled: true });
    expect(restarted.body.pid).not.toBe(up.body.pid);
    expect(await pidAlive(containerId, up.body.pid!)).toBe(false);

    const events = await td.api<{ items: Array<{ type: string; actor: string; data: { service: string } }> }>('GET', `${inst}/events`);
    const types = events.body.items.filter((e) => e.data?.service === 'worker').map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['service-down', 'service-up', 'service-restarted']));
    expect(events.body.items.find((e) => e.type === 'service-down')?.actor).toBeTruthy();
  });

  it('a crashing service shows its exit code and s6 restarts it', async () => {
    const before = (await serviceOf(td, inst, 'worker')).body;
    expect(await execIn(containerId, ['touch', '/tmp/crash-worker'])).toBe(0);
    // The worker exits 3 within a second; s6 respawns it (at most once a second) and it exits again while the flag is there.
    const crashed = await until(() => serviceOf(td, inst, 'worker'), (r) => r.body.exitCode === 3 && r.body.state === 'down', 20_000, 50);
    expect(crashed.body).toMatchObject({ state: 'down', exitCode: 3, wantUp: true, pid: null });
    expect(crashed.body.raw).toMatch(/^down \(exitcode 3\).*want up/);
    expect(await execIn(containerId, ['rm', '-f', '/tmp/crash-worker'])).toBe(0);
    const back = await until(() => serviceOf(td, inst, 'worker'), (r) => r.body.state === 'up' && r.body.uptimeSeconds >= 2, 20_000, 200);
    expect(back.body.state).toBe('up');
    expect(back.body.pid).not.toBe(before.pid);
  });

  it('answers SERVICE_NOT_FOUND naming the service and the ones that exist, and never runs a name', async () => {
    const missing = await serviceOf(td, inst, 'nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SERVICE_NOT_FOUND');
    expect(missing.body.error.message).toContain('"nope"');
    expect(missing.body.error.message).toContain('ticker, web, worker');
    const injected = await act(td, inst, encodeURIComponent('worker;reboot'), 'down');
    expect(injected.status).toBe(404);
    expect((await act(td, inst, 'worker', 'explode')).status).toBe(400);
  });

  it('tails and follows a service that logs through s6-log; 404 with the reason for one that does not', async () => {
    const tail = await td.api<string>('GET', `${inst}/services/ticker/logs?tail=3`);
    expect(tail.status).toBe(200);
    const lines = tail.body.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => /^\d{4}-\d{2}-\d{2}T\S+Z tick \d+$/.test(l))).toBe(true);

    const abort = new AbortController();
    const res = await fetch(`${td.url}${inst}/services/ticker/logs?tail=0&follow=true&format=ndjson`, { headers: { authorization: `Bearer ${td.token}` }, signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 15_000;
    while ((text.match(/\n/g) ?? []).length < 2 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    const followed = text.trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(followed.length).toBeGreaterThanOrEqual(2);
    expect(followed.every((l) => /^tick \d+$/.test(l.text))).toBe(true);

    const none = await td.api<ErrorBody>('GET', `${inst}/services/worker/logs`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('SERVICE_LOG_NOT_FOUND');
    expect(none.body.error.message).toContain('/var/log/worker/current');
  });

  it('lists supervised containers; a registered non-berth container is listed and controllable', async () => {
    const all = await td.api<{ items: Supervised[] }>('GET', '/v1/containers');
    expect(all.status).toBe(200);
    const byName = new Map(all.body.items.map((c) => [c.name, c]));
    expect(byName.get('s6a')).toMatchObject({ kind: 'instance', tenant: 'alpha', engineState: 'running', supervisor: 's6', serviceCount: 3 });
    expect(byName.get('stack')).toMatchObject({ kind: 'registered', tenant: null, engineState: 'running', supervisor: 's6', serviceCount: 3 });
    expect(byName.has('plain')).toBe(false);

    const services = await td.api<ServiceList>('GET', '/v1/containers/stack/services');
    expect(services.body.items.find((s) => s.name === 'web')?.label).toBe('Health endpoint');
    const before = services.body.items.find((s) => s.name === 'web')!;
    const restarted = await act(td, '/v1/containers/stack', 'web', 'restart');
    expect(restarted.body).toMatchObject({ state: 'up', settled: true });
    expect(restarted.body.pid).not.toBe(before.pid);
    const down = await act(td, '/v1/containers/stack', 'web', 'down');
    expect(down.body).toMatchObject({ state: 'down', settled: true });
    // An instance is reachable by the same routes under its name.
    expect((await td.api<ServiceList>('GET', '/v1/containers/s6b/services')).body.items).toHaveLength(3);
  });

  it('a container without s6 answers 409 NO_SUPERVISOR', async () => {
    const res = await td.api<ErrorBody>('GET', '/v1/instances/plain/services');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('NO_SUPERVISOR');
    expect((await act(td, '/v1/instances/plain', 'web', 'up')).status).toBe(409);
  });

  it('a tenant token sees its own instances\' services only, never registered containers', async () => {
    const tok = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'alpha-svc', tenant: 'alpha' })).body.token;
    expect((await td.api<ServiceList>('GET', `${inst}/services`, undefined, tok)).status).toBe(200);
    expect((await td.api<ErrorBody>('GET', '/v1/instances/s6b/services', undefined, tok)).status).toBe(404);
    expect((await td.api<ErrorBody>('GET', '/v1/instances/s6b/services/web', undefined, tok)).status).toBe(404);
    expect((await td.api<ErrorBody>('POST', '/v1/instances/s6b/services/web/actions', { action: 'down' }, tok)).status).toBe(404);
    expect((await td.api<ErrorBody>('GET', '/v1/containers/stack/services', undefined, tok)).status).toBe(404);
    const mine = await td.api<{ items: Supervised[] }>('GET', '/v1/containers', undefined, tok);
    expect(mine.body.items.map((c) => c.name)).toEqual(['s6a']);
    expect((await serviceOf(td, '/v1/instances/s6b', 'web')).body.state).toBe('up');
  });

  it('CLI: berth services, berth service restart --wait, berth service logs, all with --json', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: td.token, NO_COLOR: '1' };
    const table = await runBerth(['services', 's6a'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+STATE\s+PID\s+UPTIME\s+READY/i);
    expect(table.stdout).toMatch(/ticker\s+up\s+\d+/);
    const json = JSON.parse((await runBerth(['services', 's6a', '--json'], env)).stdout) as ServiceList;
    const before = json.items.find((x) => x.name === 'ticker')!;
    const all = await runBerth(['services'], env);
    expect(all.stdout).toMatch(/stack\s+registered/);

    const restarted = await runBerth(['service', 'restart', 's6a', 'ticker', '--wait', '20', '--json'], env);
    expect(restarted.code, restarted.stderr).toBe(0);
    const after = JSON.parse(restarted.stdout) as Service;
    expect(after).toMatchObject({ name: 'ticker', state: 'up', settled: true });
    expect(after.pid).not.toBe(before.pid);
    const human = await runBerth(['service', 'down', 's6a', 'ticker', '--wait'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout + human.stderr).toMatch(/s6a\/ticker: down/);
    expect((await runBerth(['service', 'up', 's6a', 'ticker', '--wait'], env)).code).toBe(0);

    const logs = await runBerth(['service', 'logs', 's6a', 'ticker', '--tail', '2', '--json'], env);
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { time: string; text: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.text).toMatch(/^tick \d+$/);
    const missing = await runBerth(['service', 'up', 's6a', 'nope'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('"nope"');
  });

  it('OpenAPI documents the routes, with examples', async () => {
    const doc = (await td.api<{ paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>>; components: { schemas: Record<string, { example?: unknown; examples?: unknown }> } }>('GET', '/openapi.json', undefined, null)).body;
    for (const p of ['/v1/containers', '/v1/containers/{container}/services', '/v1/instances/{idOrName}/services', '/v1/instances/{idOrName}/services/{service}',
      '/v1/instances/{idOrName}/services/{service}/actions', '/v1/containers/{container}/services/{service}/logs']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(doc.paths['/v1/instances/{idOrName}/services/{service}/actions']?.post?.summary).toMatch(/up, down, restart/);
    expect(JSON.stringify(doc.components.schemas.Service)).toContain('up (pid 294) 12 seconds');
  });
});
