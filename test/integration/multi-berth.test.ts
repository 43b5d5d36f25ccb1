import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BerthEvent } from '../../src/core/events/event-log.js';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { startCluster, type BerthCluster, type ClusterMember } from '../helpers/berth-cluster.js';
import { rawDocker } from '../helpers/docker.js';
import pg from 'pg';

// Three real berth processes on one Postgres database and the real engine (Postgres only: with
// SQLite one process is the whole fleet). Run by scripts/test-multi.sh as the `multi` project.
const LEASE_SECONDS = 5;
const POLL_SECONDS = 1;
/** The documented bound: a dead leader's lease runs out, then a follower's next poll takes it. */
const TAKEOVER_BOUND_MS = (LEASE_SECONDS + POLL_SECONDS) * 1000;
const YAML = `
restart: { baseDelaySeconds: 1, jitter: 0 }
monitor: { flushIntervalMs: 200, reconcileIntervalSeconds: 5 }
runtime: { stopTimeoutSeconds: 2 }
rateLimit: { enabled: false }
server: { shutdownGraceSeconds: 5 }
cluster: { leaseSeconds: ${LEASE_SECONDS}, pollSeconds: ${POLL_SECONDS}, lockWaitSeconds: 2 }
`;

let cluster: BerthCluster;
const health = { intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5, failureThreshold: 3 };

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function instance(m: ClusterMember, name: string): Promise<Instance> {
  const res = await cluster.api<Instance>(m, 'GET', `/v1/instances/${name}`);
  if (res.status !== 200) throw new Error(`GET ${name}: ${res.status}`);
  return res.body;
}

async function eventsOf(m: ClusterMember, name: string): Promise<BerthEvent[]> {
  const res = await cluster.api<{ items: BerthEvent[] }>(m, 'GET', `/v1/instances/${name}/events?limit=500`);
  return [...res.body.items].sort((a, b) => a.id - b.id);
}

const count = (events: BerthEvent[], type: string): number => events.filter((e) => e.type === type).length;

async function running(m: ClusterMember, name: string, restarts: number): Promise<Instance> {
  return until(`${name} running with ${restarts} restarts`, async () => {
    const i = await instance(m, name);
    return i.status === 'running' && i.restarts === restarts ? i : undefined;
  }, 60_000);
}

/** Kills the instance's container once (a crash berth did not cause) and waits until it is running again, restarted once. */
async function crashOnceAndCheck(m: ClusterMember, name: string): Promise<void> {
  const before = await running(m, name, (await instance(m, name)).restarts);
  await rawDocker().getContainer(before.containerId!).kill();
  const after = await running(m, name, before.restarts + 1);
  // Every berth had time to see the exit (probe interval 2 s, several flushes): still exactly one more.
  await new Promise((r) => setTimeout(r, 6000));
  const settled = await instance(m, name);
  expect(settled).toMatchObject({ status: 'running', restarts: before.restarts + 1, containerId: after.containerId });
  const events = await eventsOf(m, name);
  expect(count(events, 'exited')).toBe(before.restarts + 1);
  expect(count(events, 'restarted') + count(events, 'restart-skipped')).toBe(before.restarts + 1);
}

describe('three berths on one Postgres store', () => {
  beforeAll(async () => {
    cluster = await startCluster({ yaml: YAML, names: ['berth-a', 'berth-b', 'berth-c'] });
    // The first one alone creates the admin token and the secrets key in the shared data dir.
    await cluster.start('berth-a');
    await Promise.all([cluster.start('berth-b'), cluster.start('berth-c')]);
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('agree on one leader; every process serves the API; /metrics shows the role', async () => {
    const leader = await cluster.leader(20_000);
    // The first process took the free lease at boot.
    expect(leader.name).toBe('berth-a');
    for (const m of cluster.alive()) {
      const h = await cluster.health(m);
      expect(h?.cluster).toMatchObject({ role: m === leader ? 'leader' : 'follower', processId: m.name, leader: 'berth-a', mode: 'lease' });
      expect(h?.cluster.leaseAgeSeconds).toBeGreaterThanOrEqual(0);
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      expect(metrics).toContain(`berth_leader ${m === leader ? 1 : 0}`);
      expect(metrics).toMatch(/berth_leader_changes_total\{change="gained"\} \d/);
    }
  });

  it('30 creates spread over the three processes: 30 instances, 30 distinct ports, no duplicates', async () => {
    const members = cluster.alive();
    const names = Array.from({ length: 30 }, (_, i) => `multi-${i}`);
    const made = await Promise.all(names.map((name, i) => cluster.api<Instance>(members[i % 3]!, 'POST', '/v1/instances', { tenant: `t${i % 5}`, name, health })));
    expect(made.map((r) => r.status)).toEqual(names.map(() => 202));
    const list = await cluster.api<{ items: Instance[]; total: number }>(members[1]!, 'GET', '/v1/instances?limit=100');
    expect(list.body.total).toBe(30);
    expect(new Set(list.body.items.map((i) => i.name)).size).toBe(30);
    expect(new Set(list.body.items.map((i) => i.hostPort)).size).toBe(30);
    // Each create finished, wherever it was made, and only one container exists per instance.
    await until('30 running', async () => {
      const l = await cluster.api<{ items: Instance[] }>(members[2]!, 'GET', '/v1/instances?limit=100');
      return l.body.items.every((i) => i.status === 'running') ? true : undefined;
    }, 180_000, 1000);
    const containers = await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${cluster.scope}`] } });
    expect(containers).toHaveLength(30);
    expect(new Set(containers.map((c) => c.Labels['berth.instance'])).size).toBe(30);
    // Keep the engine light for what follows: three instances stay.
    const gone = await Promise.all(names.slice(3).map((name, i) => cluster.api(members[i % 3]!, 'DELETE', `/v1/instances/${name}`)));
    expect(gone.every((r) => r.status === 200 || r.status === 202)).toBe(true);
    await until('27 deleted', async () => {
      const l = await cluster.api<{ total: number }>(members[0]!, 'GET', '/v1/instances?limit=100');
      return l.body.total === 3 ? true : undefined;
    }, 120_000, 500);
  });

  it('one instance killed once: exactly one restart, counted once', async () => {
    const leader = await cluster.leader(20_000);
    const follower = cluster.alive().find((m) => m !== leader)!;
    await crashOnceAndCheck(follower, 'multi-0');
    const restarted = (await eventsOf(follower, 'multi-0')).filter((e) => e.type === 'restarted');
    expect(restarted.map((e) => e.data?.by)).toEqual([leader.name]);
  });

  it('the leader SIGKILLed: another takes over within the bound and restarts an instance killed right after, once', async () => {
    const old = await cluster.leader(20_000);
    const killedAt = Date.now();
    old.proc.child.kill('SIGKILL');
    await old.proc.exited;
    const next = await cluster.leader(TAKEOVER_BOUND_MS + 10_000);
    const tookMs = Date.now() - killedAt;
    console.log(`[multi] leader ${old.name} SIGKILLed → ${next.name} leads after ${tookMs} ms (lease ${LEASE_SECONDS} s, poll ${POLL_SECONDS} s)`);
    expect(next.name).not.toBe(old.name);
    // Polling /health every 200 ms adds a little to the lease + poll bound.
    expect(tookMs).toBeLessThan(TAKEOVER_BOUND_MS + 3000);
    const takeovers = await cluster.api<{ items: BerthEvent[] }>(next, 'GET', '/v1/events?type=leader-takeover&limit=50');
    expect(takeovers.body.items.some((e) => e.type === 'leader-takeover' && (e.data as { processId?: string }).processId === next.name)).toBe(true);
    await crashOnceAndCheck(next, 'multi-1');
    // The dead one comes back as a follower.
    const back = await cluster.start(old.name);
    await until('the returning berth to follow', async () => ((await cluster.health(back))?.cluster.role === 'follower' ? true : undefined), 20_000);
  });

  it('a paused old leader does not act while it lacks the lease (SIGSTOP past the lease, then SIGCONT)', async () => {
    const paused = await cluster.leader(20_000);
    const pausedAt = Date.now();
    paused.proc.child.kill('SIGSTOP');
    const others = cluster.alive().filter((m) => m !== paused);
    const next = await cluster.leader(TAKEOVER_BOUND_MS + 10_000, others);
    expect(next.name).not.toBe(paused.name);
    // While it sleeps, an instance crashes: the new leader restarts it, once.
    const before = await running(next, 'multi-2', (await instance(next, 'multi-2')).restarts);
    await rawDocker().getContainer(before.containerId!).kill();
    await running(next, 'multi-2', before.restarts + 1);
    // And another crash whose exit the paused one will read from its event stream on waking.
    const other = await running(next, 'multi-0', (await instance(next, 'multi-0')).restarts);
    await rawDocker().getContainer(other.containerId!).kill();
    paused.proc.child.kill('SIGCONT');
    await running(next, 'multi-0', other.restarts + 1);
    await until('the woken berth to follow', async () => ((await cluster.health(paused))?.cluster.role === 'follower' ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 6000));
    for (const [name, restarts] of [['multi-2', before.restarts + 1], ['multi-0', other.restarts + 1]] as const) {
      expect(await instance(next, name)).toMatchObject({ status: 'running', restarts });
      const events = await eventsOf(next, name);
      expect(count(events, 'restarted') + count(events, 'restart-skipped')).toBe(restarts);
      // Every restart since the pause was made by the new leader, none by the paused one.
      const since = events.filter((e) => e.type === 'restarted' && Date.parse(e.at) > pausedAt);
      expect(since.length).toBeGreaterThan(0);
      expect(since.map((e) => e.data?.by)).toEqual(since.map(() => next.name));
    }
    expect(paused.proc.output()).toContain('this berth is no longer the leader');
  });

  it('an action on an instance another process holds waits, then answers 409 INSTANCE_BUSY', async () => {
    const m = cluster.alive()[0]!;
    const target = await instance(m, 'multi-1');
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      // Another process's lock, as its row looks (held for a minute).
      await db.query(`insert into instance_locks (instance_id, holder, owner, acquired_at, expires_at)
        values ($1, 'berth-elsewhere', 'berth-elsewhere#1', (extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint + 60000)`, [target.id]);
      const started = Date.now();
      const res = await cluster.api<{ error: { code: string; message: string } }>(m, 'POST', `/v1/instances/${target.name}/actions`, { action: 'restart' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('INSTANCE_BUSY');
      expect(res.body.error.message).toContain('berth-elsewhere');
      // It waited cluster.lockWaitSeconds (2 s) first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      await db.query('delete from instance_locks where instance_id = $1', [target.id]);
      const ok = await cluster.api(m, 'POST', `/v1/instances/${target.name}/actions`, { action: 'restart' });
      expect([200, 202]).toContain(ok.status);
    } finally {
      await db.end();
    }
  });
});
