import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { upgradeRepos, type UpgradeRepos } from '../../store/repositories/upgrade-repos.js';
import { openStore, type Store } from '../../store/store.js';
import type { Rollout, RolloutItem, Upgrade, UpgradeStatus } from '../upgrades/upgrade-types.js';
import { RolloutRunner } from './rollout-runner.js';

/**
 * The runner's decisions over a real (SQLite) store, with the per-instance upgrade faked: how
 * many run at once, when it stops, what is left untouched, and that it continues from the store.
 */
let dir: string;
let store: Store;
let repos: UpgradeRepos;
let runner: RolloutRunner | undefined;
/** The outcome each instance's upgrade will have; `hold` keeps it running until released. */
let outcomes: Record<string, UpgradeStatus | 'hold'>;
let running = 0;
let peak = 0;
const held = new Map<string, () => void>();

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-runner-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
  repos = upgradeRepos(store);
  outcomes = {};
  running = 0;
  peak = 0;
  held.clear();
  inFlight.clear();
});
afterEach(async () => {
  await runner?.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = new Date().toISOString();
let seq = 0;

function startRunner(): RolloutRunner {
  runner = new RolloutRunner({
    rollouts: repos.rollouts, upgrades: repos.upgrades, events: { record: async () => undefined }, runtimeUp: () => true, clock: systemClock,
    logger: createLogger('silent'), tickMs: 20,
    service: { patchOf: (r) => ({ ...r.patch }) as never },
    revisions: {
      patch: async (instanceId, _patch, options) => {
        const upgrade: Upgrade = {
          id: `upg_${++seq}`, instanceId, tenant: 't', rolloutId: options.rolloutId ?? null, kind: 'upgrade', fromRevision: 1, toRevision: 2,
          status: 'pending', phase: 'pending', oldContainerId: null, newContainerId: null, healthTimeoutSeconds: 5, failureAction: 'rollback',
          actor: 'test', message: null, downtimeMs: null, createdAt: at, startedAt: null, endedAt: null,
        };
        await repos.upgrades.insert(upgrade);
        return { instance: {} as never, revision: null, upgrade };
      },
    },
    // As the upgrade worker does: a second submit of a running upgrade joins it.
    submit: (id) => {
      const joined = inFlight.get(id);
      if (joined) return joined;
      const work = runUpgrade(id);
      inFlight.set(id, work);
      return work;
    },
  });
  void runner.start();
  return runner;
}

const inFlight = new Map<string, Promise<Upgrade>>();

async function runUpgrade(id: string): Promise<Upgrade> {
  const u = (await repos.upgrades.get(id))!;
  running++;
  peak = Math.max(peak, running);
  const outcome = outcomes[u.instanceId] ?? 'succeeded';
  if (outcome === 'hold') await new Promise<void>((resolve) => held.set(u.instanceId, resolve));
  await new Promise((r) => setTimeout(r, 10));
  running--;
  await repos.upgrades.update(id, { status: outcome === 'hold' ? 'succeeded' : outcome, endedAt: at });
  return (await repos.upgrades.get(id))!;
}

async function makeRollout(names: string[], maxParallel: number, maxFailures: number): Promise<string> {
  const id = `rol_${++seq}`;
  const r: Rollout = {
    id, tenant: null, selector: { instances: names }, patch: { env: { V: '2' } }, secretsSealed: null, maxParallel, maxFailures,
    healthTimeoutSeconds: 5, failureAction: 'rollback', status: 'running', message: null, actor: 'test', createdAt: at, updatedAt: at,
  };
  const items: RolloutItem[] = names.map((n, position) => ({ instanceId: n, instance: n, tenant: 't', position, status: 'pending', upgradeId: null, revision: null, message: null, startedAt: null, endedAt: null }));
  await repos.rollouts.insert(r, items);
  return id;
}

async function until(id: string, ok: (r: Rollout) => boolean): Promise<Rollout> {
  for (let i = 0; i < 500; i++) {
    const r = (await repos.rollouts.get(id))!;
    if (ok(r)) return r;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`rollout ${id} is ${(await repos.rollouts.get(id))?.status}`);
}

const statuses = async (id: string): Promise<Record<string, string>> => Object.fromEntries((await repos.rollouts.items(id)).map((i) => [i.instance, i.status]));

describe('rollout runner', () => {
  it('moves every instance, never more than maxParallel at once', async () => {
    const id = await makeRollout(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 3, 0);
    startRunner();
    const r = await until(id, (x) => x.status !== 'running');
    expect(r.status).toBe('succeeded');
    expect(Object.values(await statuses(id))).toEqual(Array(7).fill('succeeded'));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it('stops past maxFailures: in-flight ones finish, the rest are skipped untouched, then it ends failed', async () => {
    outcomes = { b: 'rolled-back', c: 'rolled-back', d: 'hold' };
    const id = await makeRollout(['a', 'b', 'c', 'd', 'e', 'f'], 2, 1);
    startRunner();
    // c's failure is the second (more than maxFailures 1) while d is still in flight.
    for (let i = 0; i < 500 && (await statuses(id)).e !== 'skipped'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await statuses(id)).d).toBe('running');
    expect((await repos.rollouts.get(id))!.status).toBe('running');
    held.get('d')!();
    const r = await until(id, (x) => x.status !== 'running');
    expect(r).toMatchObject({ status: 'failed', message: expect.stringContaining('maxFailures 1') });
    expect(await statuses(id)).toEqual({ a: 'succeeded', b: 'failed', c: 'failed', d: 'succeeded', e: 'skipped', f: 'skipped' });
    // Skipped instances were never patched.
    expect((await repos.upgrades.ofRollout(id, 'e'))).toBeUndefined();
  });

  it('an upgrade left paused (failureAction pause) pauses the rollout', async () => {
    outcomes = { b: 'paused' };
    const id = await makeRollout(['a', 'b', 'c'], 1, 5);
    startRunner();
    const r = await until(id, (x) => x.status !== 'running');
    expect(r.status).toBe('paused');
    expect(await statuses(id)).toEqual({ a: 'succeeded', b: 'failed', c: 'pending' });
  });

  it('an instance busy with another change waits (not a failure) and is moved once free', async () => {
    let busy = true;
    const id = await makeRollout(['a', 'b'], 1, 0);
    startRunner();
    const original = runner!['o'].revisions.patch;
    runner!['o'].revisions.patch = async (...args) => {
      if (busy && args[0] === 'a') throw new BerthError('INVALID_STATE', 'instance a has a rollout in progress');
      return original(...args);
    };
    for (let i = 0; i < 500 && (await statuses(id)).b !== 'succeeded'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await statuses(id)).toEqual({ a: 'pending', b: 'succeeded' });
    expect((await repos.rollouts.items(id))[0]!.message).toContain('waiting');
    busy = false;
    expect((await until(id, (x) => x.status !== 'running')).status).toBe('succeeded');
    expect(await statuses(id)).toEqual({ a: 'succeeded', b: 'succeeded' });
  });

  it('continues from the store after a restart: a running item whose upgrade ended is settled, the rest started', async () => {
    const id = await makeRollout(['a', 'b', 'c'], 1, 0);
    // As a killed berth left it: a running, its upgrade done; b and c pending.
    await repos.upgrades.insert({
      id: 'upg_done', instanceId: 'a', tenant: 't', rolloutId: id, kind: 'upgrade', fromRevision: 1, toRevision: 2, status: 'succeeded', phase: 'committed',
      oldContainerId: null, newContainerId: null, healthTimeoutSeconds: 5, failureAction: 'rollback', actor: 'test', message: null, downtimeMs: 1, createdAt: at, startedAt: at, endedAt: at,
    });
    await repos.rollouts.updateItem(id, 'a', { status: 'running', startedAt: at });
    startRunner();
    const r = await until(id, (x) => x.status !== 'running');
    expect(r.status).toBe('succeeded');
    const items = await repos.rollouts.items(id);
    expect(items.map((i) => [i.instance, i.status, i.upgradeId !== null])).toEqual([['a', 'succeeded', true], ['b', 'succeeded', true], ['c', 'succeeded', true]]);
    expect(items[0]!.upgradeId).toBe('upg_done');
  });
});
