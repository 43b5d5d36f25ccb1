import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, getInstance, until } from '../helpers/instances.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { waitFor, type DriverTarget } from './driver-target.js';

const SECRET = 'sk-shared-lifecycle-51c0de';
const health = { path: '/health', intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 };

/**
 * The driver-independent part of the lifecycle suite (test/integration/instances-lifecycle):
 * create → healthy with berth's hardening, idempotent create, stop/start/restart with the
 * workspace kept, a recreate after the runtime object vanished, the event history, tenant
 * scoping and delete. Run on every runtime configuration berth supports.
 */
export function lifecycleCases(target: DriverTarget): void {
  describe(`shared lifecycle cases on ${target.name} (${testEnv.store})`, () => {
    let td: TestDaemon;
    let acme: Instance;

    beforeAll(async () => {
      td = await target.start();
    });
    afterAll(async () => {
      await td?.cleanup();
    });

    it('creates an instance that is healthy, hardened and limited by its plan; secrets appear nowhere', async () => {
      const res = await createInstance(td, { tenant: 'acme', plan: 'starter', image: testEnv.image, secrets: { OPENAI_API_KEY: SECRET }, port: 8080, health }, '?wait=running&timeout=120');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      acme = res.body;
      expect(acme).toMatchObject({ status: 'running', tenant: 'acme', plan: 'starter', restarts: 0 });
      expect((await fetch(`${acme.url}/health`)).status).toBe(200);
      const { docker, id } = await target.container(td, acme.id);
      const c = await docker.getContainer(id).inspect();
      expect(c.HostConfig.CapDrop).toEqual(['ALL']);
      expect(c.HostConfig.PidsLimit).toBe(256);
      expect(c.HostConfig.Memory).toBe(536870912);
      expect(c.Config.User).toBe('65534:65534');
      expect(c.Mounts.some((m) => m.Destination === '/workspace' && m.Type === 'volume')).toBe(true);
      // The agent sees its secret, the API and the logs never show it.
      expect(JSON.stringify((await getInstance(td, acme.id)).body)).not.toContain(SECRET);
      expect(td.logs.join('\n')).not.toContain(SECRET);
    });

    it('is idempotent by name: the same spec answers 200 with the same id, a different spec 409', async () => {
      const same = await createInstance(td, { tenant: 'acme', plan: 'starter', image: testEnv.image, secrets: { OPENAI_API_KEY: SECRET }, port: 8080, health });
      expect(same.status, JSON.stringify(same.body)).toBe(200);
      expect(same.body.id).toBe(acme.id);
      const other = await createInstance(td, { tenant: 'acme', plan: 'pro' });
      expect(other.status).toBe(409);
      expect(other.body.error).toMatchObject({ code: 'INSTANCE_CONFLICT', field: 'name' });
    });

    it('stops, starts and restarts; the workspace survives a restart and a recreate after the runtime object vanished', async () => {
      expect(await agent(acme, '/workspace?file=notes.txt', { method: 'PUT', body: 'remember me' })).toEqual({ written: 'notes.txt' });
      const stopped = await td.api<Instance>('POST', '/v1/instances/acme/actions', { action: 'stop', reason: 'maintenance' });
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      expect(stopped.body).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
      await expect(target.container(td, acme.id)).rejects.toThrow(/no running/);
      // A stopped instance stays stopped through a reconcile.
      await td.daemon.reconciler.reconcileNow();
      expect((await getInstance(td, 'acme')).body.status).toBe('stopped');

      const started = await td.api<Instance>('POST', '/v1/instances/acme/actions?wait=running&timeout=120', { action: 'start' });
      expect(started.body, JSON.stringify(started.body)).toMatchObject({ status: 'running', desiredState: 'running', hostPort: acme.hostPort });
      const restarted = await td.api<Instance>('POST', '/v1/instances/acme/actions?wait=running&timeout=120', { action: 'restart' });
      expect(restarted.body.status).toBe('running');
      expect(restarted.body.startedAt! > started.body.startedAt!).toBe(true);
      expect(await agent(restarted.body, '/workspace?file=notes.txt')).toEqual({ content: 'remember me' });

      // What runs it disappears behind berth's back: the reconciler recreates it, same port, same workspace.
      await target.removeBehindBack(td, restarted.body.containerId!);
      const report = await td.daemon.reconciler.reconcileNow();
      expect(report.errors).toEqual([]);
      const back = await until(() => getInstance(td, 'acme'), (r) => r.body.status === 'running' && r.body.containerId !== restarted.body.containerId, 120_000, 250);
      expect(back.body.status, `${back.body.status}: ${back.body.lastError}`).toBe('running');
      expect(back.body.hostPort).toBe(acme.hostPort);
      const content = await waitFor('the workspace file', () => agent(back.body, '/workspace?file=notes.txt').catch(() => undefined), 30_000);
      expect(content).toEqual({ content: 'remember me' });
      acme = back.body;
    });

    it('records every action in the event history with actor and reason', async () => {
      const ev = await until(
        () => td.api<{ items: Array<{ type: string; actor: string; message: string }> }>('GET', '/v1/instances/acme/events?limit=100'),
        (r) => ['created', 'started', 'running', 'stopped', 'recreated'].every((t) => r.body.items.some((e) => e.type === t)), 15_000,
      );
      const types = ev.body.items.map((e) => e.type);
      for (const t of ['created', 'started', 'running', 'stopped', 'recreated']) expect(types, JSON.stringify(ev.body.items.map((e) => [e.type, e.message]))).toContain(t);
      expect(ev.body.items.find((e) => e.type === 'stopped')).toMatchObject({ actor: 'admin', message: 'maintenance' });
      expect(ev.body.items.find((e) => e.type === 'recreated')?.actor).toBe('berth');
      expect(ev.body.items.find((e) => e.message === 'restarted on request')).toMatchObject({ type: 'restarted', actor: 'admin' });
    });

    it('lets a tenant token see and act on its own tenant only', async () => {
      const tok = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'acme-ci', tenant: 'acme' });
      expect(tok.status).toBe(201);
      const t = tok.body.token;
      const other = await createInstance(td, { tenant: 'globex', image: testEnv.image, health });
      expect(other.status).toBe(202);
      const mine = await td.api<{ items: Instance[] }>('GET', '/v1/instances', undefined, t);
      expect(mine.body.items.map((i) => i.name)).toEqual(['acme']);
      expect((await td.api('GET', '/v1/instances/globex', undefined, t)).status).toBe(404);
      expect((await td.api('POST', '/v1/instances/globex/actions', { action: 'stop' }, t)).status).toBe(404);
      expect((await td.api('POST', '/v1/instances', { tenant: 'globex', name: 'sneaky' }, t)).status).toBe(403);
      expect((await td.api('DELETE', '/v1/instances/globex')).status).toBe(200);
    });

    it('deletes: the instance, what ran it and its workspace are gone', async () => {
      const del = await td.api<Instance>('DELETE', '/v1/instances/acme');
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expect((await getInstance(td, 'acme')).status).toBe(404);
      // A service's task stops a moment after the service is removed: wait for it (bounded).
      await waitFor('what ran it to go', () => target.container(td, acme.id).then(() => undefined, () => true), 30_000);
      // A task's volume goes with the task on its node: wait for it (bounded).
      await waitFor('the workspace volume to go', async () => ((await target.volumeExists(`berth-${td.scope}-ws-${acme.id}`)) ? undefined : true), 30_000);
      const ev = await until(() => td.api<{ items: Array<{ type: string }> }>('GET', '/v1/events?instance=acme&type=deleted'), (r) => r.body.items.length > 0, 15_000);
      expect(ev.body.items).toHaveLength(1);
    });
  });
}
