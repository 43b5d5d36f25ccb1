import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * A tenant token tries what an attacker would beyond the ids of the authorization matrix:
 * query filters naming another tenant or its instances, following streams, and reading runs
 * of another tenant's job by a run id it learned. Nothing of the victim comes back.
 */
let td: TestDaemon;
let evil: string;
let victim: string;
let victimInstance: { id: string; name: string };
let victimJob: string;
let victimRun: string;
type Err = { error: { code: string } };
type Events = { items: Array<{ tenant: string | null; instanceId: string | null; message: string }> };

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'monitor.enabled': false } });
  const token = async (tenant: string) => (await td.api<{ token: string }>('POST', '/v1/tokens', { name: `${tenant}-tok`, tenant })).body.token;
  evil = await token('evil');
  victim = await token('victim');
  const made = await td.api<{ id: string; name: string; status: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: 'victim', name: 'victim-app', plan: 'starter' }, victim);
  expect(made.body.status).toBe('running');
  victimInstance = made.body;
  const job = await td.api<{ id: string }>('POST', '/v1/jobs', {
    name: 'victim-secret-job', schedule: '0 0 1 1 *', target: { instance: 'victim-app' }, action: { type: 'exec', command: ['echo', 'victim-secret-output'], timeoutSeconds: 20 },
  }, victim);
  victimJob = job.body.id;
  const run = await td.api<{ id: string; status: string }>('POST', `/v1/jobs/${victimJob}/run?wait=true&timeout=60`, undefined, victim);
  expect(run.body.status).toBe('succeeded');
  victimRun = run.body.id;
}, 120_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`a hostile tenant's queries (${testEnv.store})`, () => {
  it('event filters naming the victim (tenant, instance id, instance name, after=) return nothing of it', async () => {
    expect((await td.api<Err>('GET', '/v1/events?tenant=victim', undefined, evil)).status).toBe(403);
    for (const q of [`instance=${victimInstance.id}`, 'instance=victim-app', 'after=0', 'after=0&instance=victim-app', 'type=created', 'limit=1000']) {
      const res = await td.api<Events>('GET', `/v1/events?${q}`, undefined, evil);
      expect(res.status, q).toBe(200);
      expect(res.body.items.filter((e) => e.tenant !== 'evil'), q).toEqual([]);
      expect(JSON.stringify(res.body), q).not.toContain('victim');
    }
    // The victim does see its own (the filters work).
    expect((await td.api<Events>('GET', '/v1/events?instance=victim-app', undefined, victim)).body.items.length).toBeGreaterThan(0);
  });

  it('streams and sub-resources of the victim\'s instance answer 404, by id and by name', async () => {
    for (const ref of [victimInstance.id, 'victim-app']) {
      for (const p of [`/v1/instances/${ref}/logs?follow=true&tail=1`, `/v1/instances/${ref}/logs?tail=5`, `/v1/instances/${ref}/events?after=0`,
        `/v1/instances/${ref}/stats`, `/v1/instances/${ref}/services`, `/v1/containers/${ref}/services`]) {
        const res = await td.api<Err>('GET', p, undefined, evil);
        expect(res.status, p).toBe(404);
        expect(JSON.stringify(res.body), p).not.toContain('victim-secret');
      }
    }
    const listed = await td.api<{ items: Array<{ tenant: string | null }> }>('GET', '/v1/containers', undefined, evil);
    expect(listed.body.items.filter((c) => c.tenant !== 'evil')).toEqual([]);
  });

  it('the victim\'s job, its runs and a run id learned elsewhere answer 404; its output never appears', async () => {
    for (const p of [`/v1/jobs/${victimJob}`, '/v1/jobs/victim-secret-job', `/v1/jobs/${victimJob}/runs`, `/v1/jobs/${victimJob}/runs/${victimRun}`]) {
      const res = await td.api('GET', p, undefined, evil);
      expect(res.status, p).toBe(404);
      expect(JSON.stringify(res.body), p).not.toContain('victim-secret-output');
    }
    // Its own job id with the victim's run id: not a way around the check.
    const own = await td.api<{ id: string }>('POST', '/v1/jobs', { name: 'evil-job', schedule: '0 0 1 1 *', target: { tenant: 'evil' }, action: { type: 'restart' } }, evil);
    expect(own.status).toBe(201);
    expect((await td.api('GET', `/v1/jobs/${own.body.id}/runs/${victimRun}`, undefined, evil)).status).toBe(404);
    const jobs = await td.api<{ items: Array<{ tenant: string }> }>('GET', '/v1/jobs?tenant=victim&limit=100', undefined, evil);
    expect(jobs.body.items.map((j) => j.tenant)).toEqual(['evil']);
    expect((await td.api('POST', `/v1/jobs/${victimJob}/run`, undefined, evil)).status).toBe(404);
    // A job aimed at the victim's instance is refused without saying it exists.
    const aimed = await td.api<Err & { error: { message: string } }>('POST', '/v1/jobs', {
      name: 'evil-aim', schedule: '0 0 1 1 *', target: { instance: victimInstance.id }, action: { type: 'restart' },
    }, evil);
    expect(aimed.status).toBe(400);
    expect((await td.api('GET', '/v1/tenants/victim', undefined, evil)).status).toBe(404);
    expect((await td.api('GET', '/v1/instances?tenant=victim', undefined, evil)).status).toBe(403);
    expect((await td.api('GET', '/v1/workspaces?tenant=victim', undefined, evil)).status).toBe(403);
  });
});
