import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { until, type RunView } from './jobs-fixtures.js';

/**
 * The two confirmed cross-tenant exploits, replayed as the hostile tenant would: a workspace
 * kept by tenant `evil` must never reach tenant `victim` who takes the same instance name, and
 * evil's job on that name must never run in victim's container.
 */
let td: TestDaemon;
let evil: string;
let victim: string;

type Err = { error: { code: string; message: string; field?: string } };
type InstanceView = { id: string; name: string; tenant: string; status: string };
type JobView = { id: string; name: string; enabled: boolean; target: { instance?: string; instanceId?: string } };

async function tokenFor(tenant: string): Promise<string> {
  const res = await td.api<{ token: string }>('POST', '/v1/tokens', { name: `${tenant}-token`, tenant });
  expect(res.status).toBe(201);
  return res.body.token;
}

async function createRunning(body: Record<string, unknown>, token: string): Promise<InstanceView> {
  const res = await td.api<InstanceView & Err>('POST', '/v1/instances?wait=running&timeout=90', { plan: 'starter', ...body }, token);
  if (res.body.status !== 'running') throw new Error(`create ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `sh -c script` in an instance through a one-off exec job of the token's tenant; returns the output. */
async function shell(instance: string, jobName: string, script: string, token: string): Promise<string> {
  const made = await td.api<JobView & Err>('POST', '/v1/jobs', {
    name: jobName, schedule: '0 0 1 1 *', target: { instance }, action: { type: 'exec', command: ['sh', '-c', script], timeoutSeconds: 20 },
  }, token);
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const run = await td.api<RunView>('POST', `/v1/jobs/${made.body.id}/run?wait=true&timeout=60`, undefined, token);
  expect(run.status).toBe(200);
  expect(run.body.status, JSON.stringify(run.body)).toBe('succeeded');
  return run.body.results[0]!.output;
}

async function mountedVolume(instanceId: string): Promise<string> {
  const docker = rawDocker();
  const [c] = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${instanceId}`] } });
  if (!c) throw new Error(`no container for ${instanceId}`);
  const info = await docker.getContainer(c.Id).inspect();
  const ws = info.Mounts.find((m) => m.Destination === '/workspace');
  return String(ws?.Name);
}

beforeAll(async () => {
  td = await startTestDaemon();
  evil = await tokenFor('evil');
  victim = await tokenFor('victim');
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`tenant isolation by id (${testEnv.store})`, () => {
  it('a workspace kept by evil never reaches victim who takes the same name; it is attached only by id, by its own tenant', async () => {
    const first = await createRunning({ tenant: 'evil', name: 'shared-name' }, evil);
    await shell('shared-name', 'plant', 'echo planted-by-evil > /workspace/planted && ls /workspace', evil);
    const evilVolume = await mountedVolume(first.id);
    expect(evilVolume).toContain(first.id);

    const deleted = await td.api('DELETE', '/v1/instances/shared-name?keepData=true', undefined, evil);
    expect(deleted.status).toBe(200);
    const kept = await td.api<{ items: Array<{ id: string; tenant: string; volume: string; instanceId: string }>; total: number }>('GET', '/v1/workspaces', undefined, evil);
    expect(kept.body.items).toEqual([expect.objectContaining({ tenant: 'evil', volume: evilVolume, instanceId: first.id })]);
    const wsId = kept.body.items[0]!.id;
    // Other tenants neither list nor see it.
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces', undefined, victim)).body.total).toBe(0);
    expect((await td.api('GET', `/v1/workspaces/${wsId}`, undefined, victim)).status).toBe(404);
    expect((await td.api('DELETE', `/v1/workspaces/${wsId}`, undefined, victim)).status).toBe(404);

    // The admin makes shared-name for victim: a fresh workspace, not evil's.
    const second = await createRunning({ tenant: 'victim', name: 'shared-name' }, td.token);
    expect(second.id).not.toBe(first.id);
    const seen = await shell('shared-name', 'look', 'ls -A /workspace; cat /workspace/planted 2>/dev/null || echo no-planted-file', victim);
    expect(seen).not.toContain('planted-by-evil');
    expect(seen).toContain('no-planted-file');
    expect(await mountedVolume(second.id)).not.toBe(evilVolume);

    // Attaching evil's workspace: victim's token does not learn it exists, the admin is refused; nothing is made.
    const before = (await td.api<{ total: number }>('GET', '/v1/instances')).body.total;
    const byVictim = await td.api<Err>('POST', '/v1/instances', { tenant: 'victim', name: 'grab', plan: 'starter', workspace: { from: wsId } }, victim);
    expect(byVictim.status).toBe(404);
    expect(byVictim.body.error).toMatchObject({ code: 'WORKSPACE_NOT_FOUND', field: 'workspace.from' });
    const byAdmin = await td.api<Err>('POST', '/v1/instances', { tenant: 'victim', name: 'grab', plan: 'starter', workspace: { from: wsId } });
    expect(byAdmin.status).toBe(403);
    expect((await td.api<{ total: number }>('GET', '/v1/instances')).body.total).toBe(before);
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces', undefined, evil)).body.total).toBe(1);

    // Evil gets its own data back only by asking for it by id.
    const back = await createRunning({ tenant: 'evil', name: 'evil-again', workspace: { from: wsId } }, evil);
    expect(await mountedVolume(back.id)).toBe(evilVolume);
    expect(await shell('evil-again', 'check', 'cat /workspace/planted', evil)).toContain('planted-by-evil');
    expect((await td.api<{ total: number }>('GET', '/v1/workspaces', undefined, evil)).body.total).toBe(0);
    expect((await td.api('DELETE', '/v1/instances/shared-name', undefined, td.token)).status).toBe(200);
    expect((await td.api('DELETE', '/v1/instances/evil-again', undefined, evil)).status).toBe(200);
  }, 300_000);

  it('evil\'s exec job on shared-name is disabled when its instance goes and never runs in victim\'s container', async () => {
    const first = await createRunning({ tenant: 'evil', name: 'shared-name' }, evil);
    const job = await td.api<JobView & Err>('POST', '/v1/jobs', {
      name: 'exfiltrate', schedule: '*/2 * * * * *', target: { instance: 'shared-name' },
      action: { type: 'exec', command: ['sh', '-c', 'cat /workspace/secret 2>/dev/null; echo ran-in-$BERTH_TENANT'], timeoutSeconds: 10 },
    }, evil);
    expect(job.status).toBe(201);
    expect(job.body.target).toEqual({ instance: 'shared-name', instanceId: first.id });
    await until('evil\'s job to run once', async () => {
      const runs = await td.api<{ items: RunView[] }>('GET', '/v1/jobs/exfiltrate/runs', undefined, evil);
      return runs.body.items.some((r) => r.status === 'succeeded') ? true : undefined;
    }, 60_000);

    expect((await td.api('DELETE', '/v1/instances/shared-name?keepData=true', undefined, evil)).status).toBe(200);
    const disabled = await until('the job to be disabled', async () => {
      const got = await td.api<JobView>('GET', '/v1/jobs/exfiltrate', undefined, evil);
      return got.body.enabled ? undefined : got.body;
    }, 30_000);
    expect(disabled.enabled).toBe(false);
    const why = await td.api<{ items: Array<{ message: string; tenant: string }> }>('GET', '/v1/events?type=job-disabled', undefined, evil);
    expect(why.body.items.filter((e) => e.message.startsWith('job exfiltrate '))).toEqual([
      expect.objectContaining({ tenant: 'evil', message: `job exfiltrate disabled: its target instance shared-name (${first.id}) was deleted` }),
    ]);

    const second = await createRunning({ tenant: 'victim', name: 'shared-name' }, td.token);
    await shell('shared-name', 'store-secret', 'echo victim-secret-42 > /workspace/secret', victim);

    // Evil tries everything it can: re-enable, retarget by name, run now.
    const reenable = await td.api<Err>('PATCH', '/v1/jobs/exfiltrate', { enabled: true }, evil);
    expect(reenable.status).toBe(400);
    expect(reenable.body.error.field).toBe('target.instance');
    expect((await td.api<Err>('PATCH', '/v1/jobs/exfiltrate', { target: { instance: 'shared-name' } }, evil)).status).toBe(400);
    expect((await td.api<Err>('POST', '/v1/jobs', { name: 'exfiltrate-2', schedule: '*/2 * * * * *', target: { instance: second.id }, action: { type: 'restart' } }, evil)).status).toBe(400);
    const forced = await td.api<RunView>('POST', '/v1/jobs/exfiltrate/run?wait=true&timeout=30', undefined, evil);
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('skipped');
    expect(forced.body.results).toEqual([]);

    // Let victim's own schedule tick a few times, so any leftover schedule of evil's would have fired too.
    await td.api('POST', '/v1/jobs', { name: 'victim-tick', schedule: '*/2 * * * * *', target: { instance: 'shared-name' }, action: { type: 'exec', command: ['true'], timeoutSeconds: 10 } }, victim);
    await until('victim\'s job to run twice', async () => {
      const runs = await td.api<{ items: RunView[] }>('GET', '/v1/jobs/victim-tick/runs', undefined, victim);
      return runs.body.items.filter((r) => r.status === 'succeeded').length >= 2 ? true : undefined;
    }, 60_000);

    const evilRuns = await td.api<{ items: RunView[] }>('GET', '/v1/jobs/exfiltrate/runs?limit=500', undefined, evil);
    const everything = JSON.stringify(evilRuns.body);
    expect(everything).not.toContain('victim-secret-42');
    expect(everything).not.toContain('ran-in-victim');
    expect(everything).not.toContain(second.id);
    // Nothing of victim's shows anywhere evil can read.
    for (const path of ['/v1/events?limit=1000', '/v1/instances', '/v1/jobs', '/v1/workspaces']) {
      const res = await td.api('GET', path, undefined, evil);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body), path).not.toMatch(/victim|"tenant":"victim"/);
      expect(JSON.stringify(res.body), path).not.toContain(second.id);
    }
    expect((await td.api('GET', `/v1/instances/${second.id}`, undefined, evil)).status).toBe(404);
    expect((await td.api('GET', `/v1/instances/${second.id}/events`, undefined, evil)).status).toBe(404);
  }, 300_000);
});
