import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * Deny by default: every registered /v1 route answers 401 without a token (also reached through
 * a percent-encoded path), and the authorization matrix holds for every route: no token 401,
 * another tenant's token 403/404 with nothing changed in the store or the engine, the owning
 * tenant's token 2xx (403 for admin-only routes), admin 2xx. A route without a case here fails
 * the test, so a new route cannot skip the matrix.
 */
let td: TestDaemon;
let own: string;
let other: string;
let seq = 0;
const unique = (p: string): string => `${p}-${++seq}`;

type Req = { path: string; body?: unknown };
interface Case {
  /** The request as the owning tenant (and the admin) make it; called once per caller so destructive calls get fresh resources. */
  make: () => Promise<Req>;
  /** What the other tenant sends (default: the same request). */
  other?: () => Promise<Req>;
  adminOnly?: boolean;
  /** Not a tenant's resource (plans, a list filtered to the caller): the other tenant gets 2xx too, without A's data. */
  shared?: boolean;
  /** Statuses that count as refused for the other tenant (default 403, 404). */
  refused?: number[];
  /** The admin's documented answer when not 2xx (the node routes on the docker driver: 409). */
  adminAnswers?: number[];
}

const A = 'mxa';
let instanceA: { id: string; name: string };
/** A's instance whose image runs s6: the service routes answer 2xx for it. */
let s6A: { id: string; name: string };
let jobA: string;
let runA: string;
let workspaceA: string;
/** A's rollout (paused at once), and the instances rollbacks and rollouts act on (not instanceA, which other cases use). */
let rolloutA: string;
let snapshotA: string;

async function post<T>(path: string, body: unknown, token: string | null = td.token): Promise<T> {
  const res = await td.api<T>('POST', path, body, token);
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const throwawayInstance = async (): Promise<string> => (await post<{ name: string }>('/v1/instances', { tenant: A, name: unique('mx-tmp'), plan: 'starter' })).name;
const throwawayJob = async (): Promise<string> => (await post<{ id: string }>('/v1/jobs', { name: unique('mx-job'), schedule: '0 0 1 1 *', target: { instance: instanceA.name }, action: { type: 'restart' } })).id;
async function throwawayWorkspace(): Promise<string> {
  const name = await throwawayInstance();
  await td.api('DELETE', `/v1/instances/${name}?keepData=true`);
  const list = await td.api<{ items: Array<{ id: string; instanceName: string }> }>('GET', `/v1/workspaces?tenant=${A}`);
  return list.body.items.find((w) => w.instanceName === name)!.id;
}
const throwawaySnapshot = async (): Promise<string> => (await post<{ id: string }>(`/v1/instances/${instanceA.name}/snapshots`, {})).id;
const fixed = (path: string, body?: unknown) => async (): Promise<Req> => (body === undefined ? { path } : { path, body });

function cases(): Record<string, Case> {
  const i = `/v1/instances/${instanceA.name}`;
  const container = `berth-${td.scope}-${instanceA.name}`;
  return {
    'POST /v1/tokens': { adminOnly: true, make: async () => ({ path: '/v1/tokens', body: { name: unique('mx-token'), tenant: A } }) },
    'GET /v1/tokens': { adminOnly: true, make: fixed('/v1/tokens') },
    'DELETE /v1/tokens/:idOrName': {
      adminOnly: true,
      make: async () => ({ path: `/v1/tokens/${(await post<{ info: { id: string } }>('/v1/tokens', { name: unique('mx-rm'), tenant: A })).info.id}` }),
    },
    'GET /v1/docker/containers': { adminOnly: true, make: fixed('/v1/docker/containers') },
    'GET /v1/docker/containers/:name/status': { adminOnly: true, make: fixed(`/v1/docker/containers/${container}/status`) },
    'POST /v1/docker/containers/:name': { adminOnly: true, make: fixed(`/v1/docker/containers/${container}`, { action: 'start' }) },
    'GET /v1/docker/containers/:name/logs': { adminOnly: true, make: fixed(`/v1/docker/containers/${container}/logs?tail=5`) },
    'GET /v1/system/orphans': { adminOnly: true, make: fixed('/v1/system/orphans') },
    'POST /v1/system/gc': { adminOnly: true, make: fixed('/v1/system/gc', {}) },
    // The store's backup: admin only; on Postgres the admin's documented answer is 409 (use pg_dump).
    'GET /v1/system/backup': { adminOnly: true, adminAnswers: testEnv.store === 'postgres' ? [409] : [], make: fixed('/v1/system/backup') },
    'GET /v1/plans': { shared: true, make: fixed('/v1/plans') },
    'POST /v1/instances': { make: async () => ({ path: '/v1/instances', body: { tenant: A, name: unique('mx-new'), plan: 'starter' } }) },
    'GET /v1/instances': { make: fixed('/v1/instances'), other: fixed(`/v1/instances?tenant=${A}`) },
    'GET /v1/instances/:idOrName': { make: fixed(i) },
    'DELETE /v1/instances/:idOrName': { make: async () => ({ path: `/v1/instances/${await throwawayInstance()}` }), other: fixed(i) },
    'POST /v1/instances/:idOrName/actions': { make: fixed(`${i}/actions`, { action: 'start' }) },
    'GET /v1/instances/:idOrName/events': { make: fixed(`${i}/events`) },
    'GET /v1/instances/:idOrName/logs': { make: fixed(`${i}/logs?tail=5`) },
    'GET /v1/instances/:idOrName/stats': { make: fixed(`${i}/stats`) },
    'GET /v1/events': { make: fixed('/v1/events'), other: fixed(`/v1/events?tenant=${A}`) },
    // A no-op patch (200, nothing changes) keeps instanceA out of a rollout the other cases would meet.
    'PATCH /v1/instances/:idOrName': { make: fixed(i, { env: {} }) },
    'GET /v1/instances/:idOrName/revisions': { make: fixed(`${i}/revisions`) },
    'GET /v1/instances/:idOrName/upgrades': { make: fixed(`${i}/upgrades`) },
    // mx-rb has revisions 1 and 2: each caller goes back to the previous one (and waits, so the next may too).
    'POST /v1/instances/:idOrName/rollback': { make: fixed('/v1/instances/mx-rb/rollback?wait=true&timeout=120', {}) },
    'POST /v1/rollouts': { make: async () => ({ path: '/v1/rollouts', body: { selector: { instances: ['mx-ro'] }, patch: { env: { MX_RO: unique('v') } } } }) },
    'GET /v1/rollouts': { shared: true, make: fixed('/v1/rollouts') },
    'GET /v1/rollouts/:id': { make: async () => ({ path: `/v1/rollouts/${rolloutA}` }) },
    'POST /v1/rollouts/:id/actions': { make: async () => ({ path: `/v1/rollouts/${rolloutA}/actions`, body: { action: 'pause' } }) },
    // The live fleet (SSE): every token gets its own tenant's snapshot; once=true ends the stream after it.
    'GET /v1/events/stream': { shared: true, make: fixed('/v1/events/stream?once=true') },
    // The other tenant names an instance it cannot see: 400 naming target.instance (as for a missing one).
    'POST /v1/jobs': { refused: [400, 403, 404], make: async () => ({ path: '/v1/jobs', body: { name: unique('mx-j'), schedule: '0 0 1 1 *', target: { instance: instanceA.name }, action: { type: 'restart' } } }) },
    'GET /v1/jobs': { shared: true, make: fixed('/v1/jobs') },
    'GET /v1/jobs/:id': { make: async () => ({ path: `/v1/jobs/${jobA}` }) },
    'PATCH /v1/jobs/:id': { make: async () => ({ path: `/v1/jobs/${jobA}`, body: { timezone: 'UTC' } }) },
    'DELETE /v1/jobs/:id': { make: async () => ({ path: `/v1/jobs/${await throwawayJob()}` }), other: async () => ({ path: `/v1/jobs/${jobA}` }) },
    'POST /v1/jobs/:id/run': { make: async () => ({ path: `/v1/jobs/${jobA}/run?wait=true&timeout=60` }) },
    'GET /v1/jobs/:id/runs': { make: async () => ({ path: `/v1/jobs/${jobA}/runs` }) },
    'GET /v1/jobs/:id/runs/:runId': { make: async () => ({ path: `/v1/jobs/${jobA}/runs/${runA}` }) },
    'GET /v1/tenants': { shared: true, make: fixed('/v1/tenants') },
    'GET /v1/tenants/:tenant': { make: fixed(`/v1/tenants/${A}`) },
    'PUT /v1/tenants/:tenant/limits': { adminOnly: true, make: fixed(`/v1/tenants/${A}/limits`, { maxJobs: 100 }) },
    'GET /v1/workspaces': { make: fixed('/v1/workspaces'), other: fixed(`/v1/workspaces?tenant=${A}`) },
    'GET /v1/workspaces/:id': { make: async () => ({ path: `/v1/workspaces/${workspaceA}` }) },
    'DELETE /v1/workspaces/:id': { make: async () => ({ path: `/v1/workspaces/${await throwawayWorkspace()}` }), other: async () => ({ path: `/v1/workspaces/${workspaceA}` }) },
    'POST /v1/instances/:idOrName/snapshots': { make: fixed(`${i}/snapshots`, {}) },
    'GET /v1/instances/:idOrName/snapshots': { make: fixed(`${i}/snapshots`) },
    'POST /v1/instances/:idOrName/snapshots/:snapshotId/restore': { make: async () => ({ path: `${i}/snapshots/${snapshotA}/restore` }) },
    'GET /v1/snapshots': { make: fixed('/v1/snapshots'), other: fixed(`/v1/snapshots?tenant=${A}`) },
    'GET /v1/snapshots/:id': { make: async () => ({ path: `/v1/snapshots/${snapshotA}` }) },
    'DELETE /v1/snapshots/:id': { make: async () => ({ path: `/v1/snapshots/${await throwawaySnapshot()}` }), other: async () => ({ path: `/v1/snapshots/${snapshotA}` }) },
    // s6 services: the same routes under /v1/containers/{c} (an instance's name resolves there too) and /v1/instances/{i}.
    'GET /v1/containers': { shared: true, make: fixed('/v1/containers') },
    ...serviceCases('/v1/containers/:container', `/v1/containers/${s6A.name}`),
    ...serviceCases('/v1/instances/:idOrName', `/v1/instances/${s6A.name}`),
    // Cluster nodes: admin only; on the docker driver the admin's documented answer is 409.
    'GET /v1/nodes': { adminOnly: true, adminAnswers: [409], make: fixed('/v1/nodes') },
    'POST /v1/nodes/:id/actions': { adminOnly: true, adminAnswers: [409], make: fixed('/v1/nodes/x/actions', { action: 'drain' }) },
    'POST /v1/nodes/load-image': { adminOnly: true, adminAnswers: [409], make: fixed('/v1/nodes/load-image', { image: testEnv.image }) },
    // The caller's own session and the image list: every token, nothing of another tenant's.
    'GET /v1/session': { shared: true, make: fixed('/v1/session') },
    'POST /v1/session/login-codes': { shared: true, make: fixed('/v1/session/login-codes', {}) },
    'GET /v1/images': { shared: true, make: fixed('/v1/images') },
  };
}

function serviceCases(route: string, path: string): Record<string, Case> {
  return {
    [`GET ${route}/services`]: { make: fixed(`${path}/services`) },
    [`GET ${route}/services/:service`]: { make: fixed(`${path}/services/web`) },
    [`POST ${route}/services/:service/actions`]: { make: fixed(`${path}/services/web/actions?timeout=10`, { action: 'up' }) },
    [`GET ${route}/services/:service/logs`]: { make: fixed(`${path}/services/ticker/logs?tail=5`) },
  };
}

/** What a refused call must not change: rows that matter and the engine objects of this scope. */
async function snapshot(): Promise<string> {
  const db = unsafeDbForTests(td.daemon.store);
  const docker = rawDocker();
  const filters = { label: [`berth.scope=${td.scope}`] };
  const [instances, jobs, runs, tokens, workspaces, snapshots, events, containers, volumes] = await Promise.all([
    db.selectFrom('instances').select(['id', 'name', 'tenant', 'desired_state', 'container_id', 'host_port']).orderBy('id').execute(),
    db.selectFrom('jobs').select(['id', 'name', 'enabled', 'target', 'schedule', 'timezone', 'tenant']).orderBy('id').execute(),
    db.selectFrom('job_runs').select('id').orderBy('id').execute(),
    db.selectFrom('tokens').select(['id', 'revoked_at']).orderBy('id').execute(),
    db.selectFrom('workspaces').select(['id', 'volume']).orderBy('id').execute(),
    db.selectFrom('snapshots').select(['id', 'status']).orderBy('id').execute(),
    db.selectFrom('events').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
    docker.listContainers({ all: true, filters }).then((l) => l.map((c) => `${c.Id}:${c.State}`).sort()),
    docker.listVolumes({ filters }).then((r) => (r.Volumes ?? []).map((v) => v.Name).sort()),
  ]);
  return JSON.stringify({ instances, jobs, runs, tokens, workspaces, snapshots, events: Number(events?.n), containers, volumes });
}

const methodOf = (key: string): string => key.split(' ')[0]!;

/** Waits until no instance is still being created in the background. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const busy = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select('id').where('status', 'in', ['creating', 'starting', 'deleting', 'upgrading']).execute();
    if (busy.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('instances still settling after 90 s');
}

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'monitor.enabled': false } });
  own = (await post<{ token: string }>('/v1/tokens', { name: 'mx-own', tenant: A })).token;
  other = (await post<{ token: string }>('/v1/tokens', { name: 'mx-other', tenant: 'mxb' })).token;
  const made = await td.api<{ id: string; name: string; status: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: A, name: 'mx-a', plan: 'starter' });
  expect(made.body.status).toBe('running');
  instanceA = made.body;
  const s6 = await td.api<{ id: string; name: string; status: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: A, name: 'mx-s6', plan: 'starter', image: testEnv.s6Image });
  expect(s6.body.status).toBe('running');
  s6A = s6.body;
  jobA = (await post<{ id: string }>('/v1/jobs', { name: 'mx-job-a', schedule: '0 0 1 1 *', target: { instance: 'mx-a' }, action: { type: 'exec', command: ['true'], timeoutSeconds: 10 } })).id;
  runA = (await post<{ id: string }>(`/v1/jobs/${jobA}/run?wait=true&timeout=60`, undefined)).id;
  workspaceA = await throwawayWorkspace();
  for (const name of ['mx-rb', 'mx-ro']) {
    const made = await td.api<{ status: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: A, name, plan: 'starter' });
    expect(made.body.status).toBe('running');
  }
  const patched = await td.api<{ upgrade: { status: string } }>('PATCH', '/v1/instances/mx-rb?wait=true&timeout=120', { env: { MX: 'two' } });
  expect(patched.body.upgrade.status).toBe('succeeded');
  rolloutA = (await post<{ id: string }>('/v1/rollouts', { selector: { instances: ['mx-ro'] }, patch: { env: { MX: 'paused' } } }, own)).id;
  await post(`/v1/rollouts/${rolloutA}/actions`, { action: 'pause' }, own);
  snapshotA = await throwawaySnapshot();
}, 300_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`API authorization (${testEnv.store})`, () => {
  it('attaches authentication to every /v1 route at registration: 401 without a token, also percent-encoded', async () => {
    const routes = td.daemon.routes.filter((r) => r.url.startsWith('/v1/'));
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.every((r) => r.authenticated)).toBe(true);
    const fill = (url: string): string => url.replace(/:[A-Za-z]+/g, 'x');
    for (const r of routes) {
      const path = fill(r.url);
      for (const variant of [path, path.replace('/v1/', '/%761/'), path.replace('/v1/', '/%76%31/')]) {
        const res = await fetch(`${td.url}${variant}`, { method: r.method, ...(['POST', 'PUT', 'PATCH'].includes(r.method) ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
        expect({ route: `${r.method} ${variant}`, status: res.status }).toEqual({ route: `${r.method} ${variant}`, status: 401 });
      }
    }
    // A wrong token and a path no route has are 401 too: nothing to probe without a token.
    expect((await td.api('GET', '/v1/instances', undefined, 'berth_not-a-token')).status).toBe(401);
    expect((await td.api('GET', '/v1/no-such-route', undefined, null)).status).toBe(401);
    expect((await td.api('GET', '/%761/no-such-route', undefined, null)).status).toBe(401);
    expect((await td.api('GET', '/health', undefined, null)).status).toBe(200);
  });

  it('every /v1 route × {no token, other tenant, own tenant, admin} → 401 / refused and nothing changed / 2xx (403 admin-only) / 2xx', async () => {
    const table = cases();
    const registered = [...new Set(td.daemon.routes.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`))];
    expect(registered.filter((k) => !table[k]), 'routes without a case in the matrix').toEqual([]);

    // Refused calls first. Their requests are made up front (destructive routes get throwaway
    // resources), the engine settles, and then nothing the refused calls do may change a thing.
    const refused: Array<{ key: string; c: Case; none: Req; asOther: Req }> = [];
    for (const key of registered) {
      const c = table[key]!;
      refused.push({ key, c, none: await c.make(), asOther: await (c.other ?? c.make)() });
    }
    await settle();
    const before = await snapshot();
    for (const { key, c, none, asOther } of refused) {
      const anonymous = await td.api(methodOf(key), none.path, none.body, null);
      expect({ key, status: anonymous.status }).toEqual({ key, status: 401 });
      const res = await td.api(methodOf(key), asOther.path, asOther.body, other);
      if (c.shared) {
        expect({ key, ok: res.status < 300 }).toEqual({ key, ok: true });
        expect(JSON.stringify(res.body), key).not.toContain(`"tenant":"${A}"`);
      } else {
        expect({ key, refused: (c.refused ?? [403, 404]).includes(res.status) }, `${key} → ${res.status} ${JSON.stringify(res.body)}`).toEqual({ key, refused: true });
      }
    }
    expect(await snapshot()).toBe(before);

    for (const key of registered) {
      const c = table[key]!;
      const mine = await c.make();
      const res = await td.api(methodOf(key), mine.path, mine.body, own);
      if (c.adminOnly) expect({ key, status: res.status }).toEqual({ key, status: 403 });
      else expect({ key, ok: res.status >= 200 && res.status < 300 }, `${key} → ${res.status} ${JSON.stringify(res.body)}`).toEqual({ key, ok: true });
      const asAdmin = await c.make();
      const admin = await td.api(methodOf(key), asAdmin.path, asAdmin.body, td.token);
      const answered = (admin.status >= 200 && admin.status < 300) || (c.adminAnswers ?? []).includes(admin.status);
      expect({ key, ok: answered }, `${key} → ${admin.status} ${JSON.stringify(admin.body)}`).toEqual({ key, ok: true });
    }
  }, 300_000);
});
