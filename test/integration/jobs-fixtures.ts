import { rawDocker } from '../helpers/docker.js';
import type { TestDaemon } from '../helpers/test-daemon.js';

export interface TargetFixture {
  id: string;
  name: string;
  tenant: string;
}

export interface RunView {
  id: string;
  slot: string;
  trigger: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  claimedBy: string;
  note: string | null;
  results: Array<{ instance: string; outcome: string; exitCode: number | null; statusCode: number | null; output: string; truncated: boolean; error: string | null }>;
}

/** Creates a running instance through the instances API and waits until it is healthy. */
export async function createInstance(td: TestDaemon, name: string, tenant = name): Promise<TargetFixture> {
  const res = await td.api<{ id: string; status: string }>('POST', '/v1/instances?wait=running&timeout=60', { tenant, name, plan: 'starter' });
  if (res.status !== 200 && res.status !== 201 && res.status !== 202) throw new Error(`create instance ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  if (res.body.status !== 'running') throw new Error(`instance ${name} is ${res.body.status}, not running`);
  return { id: res.body.id, name, tenant };
}

/** The instance's container as the engine sees it (found by berth's labels, so a recreated container is followed). */
export async function containerOf(td: TestDaemon, instanceId: string): Promise<{ id: string; startedAt: string }> {
  const docker = rawDocker();
  const [c] = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, `berth.instance=${instanceId}`] } });
  if (!c) throw new Error(`no container for instance ${instanceId}`);
  const info = await docker.getContainer(c.Id).inspect();
  return { id: c.Id, startedAt: info.State.StartedAt };
}

export async function runsOf(td: TestDaemon, job: string): Promise<RunView[]> {
  const res = await td.api<{ items: RunView[]; total: number }>('GET', `/v1/jobs/${job}/runs?limit=500`);
  if (res.status !== 200) throw new Error(`runs of ${job}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items.reverse();
}

/** Polls `check` every `everyMs` until it returns a value, or fails with the last reason after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

