import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../test/helpers/fake-runtime-driver.js';
import { ManualClock } from '../common/clock.js';
import { BerthError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { loadConfig } from '../config/loader.js';
import { EventLog } from '../core/events/event-log.js';
import { createInstances, type Instances } from '../core/instances/create-instances.js';
import { SYSTEM_VIEWER } from '../core/instances/instance-types.js';
import { SecretBox } from '../core/secrets/secret-box.js';
import { LABELS } from '../runtime/labels.js';
import { openStore, type Store } from '../store/store.js';
import type { ExitInfo } from './exit-handler.js';
import { Reconciler } from './reconciler.js';

const SCOPE = 'recon';
type Made = { id: string; containerId: string };
let dir: string;
let store: Store;
let fake: FakeRuntimeDriver;
let clock: ManualClock;
let instances: Instances;
let events: EventLog;
let engine: { state: 'up' | 'down' };
let exits: ExitInfo[];
let reconciler: Reconciler;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-reconciler-'));
  // The manual clock drives the store's stamps and the reconciler's timer; the engine's own times are real.
  clock = new ManualClock(Date.now());
  store = openStore({ url: '', dataDir: dir, repositories: { clock } });
  await store.migrate();
  const { config } = loadConfig({ env: {}, cwd: '/nonexistent-dir', flags: { 'runtime.scope': SCOPE } });
  const logger = createLogger('silent');
  fake = new FakeRuntimeDriver();
  events = new EventLog(store.repos.events, clock, logger);
  instances = createInstances({
    config, store, runtime: fake, gate: { require: () => undefined, report: () => undefined }, secrets: new SecretBox(randomBytes(32)),
    events, clock, logger,
  });
  instances.watcher.attach({ watch: () => undefined, cancel: () => undefined });
  engine = { state: 'up' };
  exits = [];
  reconciler = new Reconciler({
    repo: instances.repo, networksRepo: instances.networksRepo, workspaces: instances.workspaces, provisioner: instances.provisioner,
    networks: instances.networks, watcher: instances.watcher, runtime: fake, lock: instances.lock, events, clock, logger, scope: SCOPE,
    status: { get state() { return engine.state; }, report: () => undefined, onUp: () => undefined },
    bindAddress: '127.0.0.1', intervalMs: 60_000, concurrency: 4,
    exitHandler: { handleExit: async (_instance, exit) => { exits.push(exit); } },
  });
});
afterEach(async () => {
  await reconciler.stop();
  await instances.service.shutdown();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Creates instances and lets their background creates finish (the service's shutdown awaits them). */
async function running(...tenants: string[]): Promise<Made[]> {
  const ids: string[] = [];
  for (const tenant of tenants) ids.push((await instances.service.create({ tenant }, 'test', SYSTEM_VIEWER)).instance.id);
  await instances.service.shutdown();
  const rows = await Promise.all(ids.map((id) => instances.repo.get(id)));
  expect(rows.map((r) => r?.status)).toEqual(tenants.map(() => 'starting'));
  return rows.map((r) => ({ id: r!.id, containerId: r!.containerId! }));
}

const instanceContainers = (id: string) => [...fake.containers.values()].filter((c) => c.info.labels[LABELS.instance] === id);
const typesOf = async (id: string): Promise<string[]> => (await events.list({ instanceId: id, limit: 50 })).map((e) => e.type);

describe('reconciler convergence (fake engine, manual clock)', () => {
  it('recreates a missing container and starts it', async () => {
    const [{ id, containerId }] = await running('acme') as [Made];
    fake.containers.delete(containerId);
    const report = await reconciler.reconcileNow();
    expect(report.errors).toEqual([]);
    const [now] = instanceContainers(id);
    expect(now?.info.state).toBe('running');
    expect(now?.info.id).not.toBe(containerId);
    expect((await instances.repo.get(id))?.containerId).toBe(now?.info.id);
    expect(await typesOf(id)).toContain('recreated');
  });

  it('removes an orphan: a labelled container of this scope whose instance has no row', async () => {
    const [{ containerId }] = await running('acme') as [Made];
    const spec = fake.containers.get(containerId)!.spec;
    const ghost = await fake.createContainer({ ...spec, name: `berth-${SCOPE}-ghost`, labels: { ...spec.labels, [LABELS.instance]: 'ins_ghost', [LABELS.instanceName]: 'ghost' } });
    const foreign = await fake.createContainer({ ...spec, name: 'other-scope', labels: { ...spec.labels, [LABELS.scope]: 'someone-else', [LABELS.instance]: 'ins_other' } });
    const report = await reconciler.reconcileNow();
    expect(report.orphanContainers).toBe(1);
    expect(fake.containers.has(ghost)).toBe(false);
    // Another scope's container is never touched, nor the instance's own.
    expect(fake.containers.has(foreign)).toBe(true);
    expect(fake.containers.has(containerId)).toBe(true);
    expect((await events.list({ type: 'orphan-removed', limit: 5 })).map((e) => e.data?.containerId)).toEqual([ghost]);
  });

  it('repairs a drifted container (published an old port): recreated on the row\'s port', async () => {
    const [{ id, containerId }] = await running('acme') as [Made];
    const c = fake.containers.get(containerId)!;
    c.info = { ...c.info, labels: { ...c.info.labels, [LABELS.port]: '1' } };
    await reconciler.reconcileNow();
    const row = await instances.repo.get(id);
    const [now] = instanceContainers(id);
    expect(now?.info.labels[LABELS.port]).toBe(String(row?.hostPort));
    expect(now?.info.state).toBe('running');
    expect(await typesOf(id)).toContain('recreated');
  });

  it('hands an exit of an expected-up container to the exit policy, and leaves a stopped one stopped', async () => {
    const [a, b] = await running('acme', 'beta') as [Made, Made];
    fake.crash(a.containerId, 7);
    await instances.service.stop(b.id, 'test', SYSTEM_VIEWER);
    await reconciler.reconcileNow();
    expect(exits.map((e) => [e.containerId, e.exitCode])).toEqual([[a.containerId, 7]]);
    expect(fake.containers.get(b.containerId)?.info.state).toBe('exited');
    expect((await instances.repo.get(b.id))?.status).toBe('stopped');
  });

  it('destroys nothing while the engine is down, or when it cannot see the whole picture', async () => {
    const [{ id, containerId }] = await running('acme') as [Made];
    const spec = fake.containers.get(containerId)!.spec;
    const ghost = await fake.createContainer({ ...spec, name: `berth-${SCOPE}-ghost`, labels: { ...spec.labels, [LABELS.instance]: 'ins_ghost' } });
    fake.containers.delete(containerId);
    const before = fake.calls.length;

    engine.state = 'down';
    expect(await reconciler.reconcileNow()).toMatchObject({ skipped: 'runtime not up' });
    expect(fake.calls.length).toBe(before);

    // Up, but listing fails half-way: the pass aborts before any removal.
    engine.state = 'up';
    fake.failNext('listContainers', () => new BerthError('RUNTIME_UNAVAILABLE', 'engine went away'));
    const report = await reconciler.reconcileNow();
    expect(report.errors.length).toBeGreaterThan(0);
    expect(fake.containers.has(ghost)).toBe(true);
    expect(fake.calls.slice(before).filter((c) => /^(remove|stop|kill)/.test(c))).toEqual([]);

    // Next pass with the engine whole: converges.
    const healed = await reconciler.reconcileNow();
    expect(healed.errors).toEqual([]);
    expect(fake.containers.has(ghost)).toBe(false);
    expect(instanceContainers(id).map((c) => c.info.state)).toEqual(['running']);
  });

  it('passes again on its timer: the interval, read from the manual clock', async () => {
    await reconciler.start();
    const [{ id, containerId }] = await running('acme') as [Made];
    fake.containers.delete(containerId);
    clock.advance(60_000);
    const end = Date.now() + 10_000;
    while (instanceContainers(id)[0]?.info.state !== 'running' && Date.now() < end) await new Promise((resolve) => setImmediate(resolve));
    expect(instanceContainers(id).map((c) => c.info.state)).toEqual(['running']);
  });
});
