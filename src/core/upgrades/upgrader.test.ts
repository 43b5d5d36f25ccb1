import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../../test/helpers/fake-runtime-driver.js';
import type { Alert } from '../../alerts/alert-dispatcher.js';
import { systemClock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { loadConfig } from '../../config/loader.js';
import { LABELS } from '../../runtime/labels.js';
import { upgradeRepos } from '../../store/repositories/upgrade-repos.js';
import { openStore, type Store } from '../../store/store.js';
import { EventLog } from '../events/event-log.js';
import { createInstances, type Instances } from '../instances/create-instances.js';
import { SYSTEM_VIEWER } from '../instances/instance-types.js';
import { SecretBox } from '../secrets/secret-box.js';
import { createUpgrades, type Upgrades } from './create-upgrades.js';
import type { GateVerdict } from './health-gate.js';

/**
 * The upgrader on a fake engine and a real (SQLite) store: the happy path, a failed gate, and
 * berth dying at each phase (simulated: the upgrader is halted or the engine fails mid-step,
 * then a fresh set of services resumes from what the store says).
 */
let dir: string;
let store: Store;
let fake: FakeRuntimeDriver;
let instances: Instances;
let alerts: Alert[];
let events: EventLog;
const secrets = new SecretBox(randomBytes(32));
const { config } = loadConfig({ env: {}, cwd: '/nonexistent-dir', flags: { 'runtime.scope': 'upg' } });
const logger = createLogger('silent');
/** What the fake health judge answers; `hold` keeps it waiting (berth "dies" meanwhile). */
let verdict: GateVerdict | 'hold';

function upgradesFor(): Upgrades {
  const u = createUpgrades({
    instances, repos: upgradeRepos(store), runtime: fake, gate: { require: () => undefined, report: () => undefined, state: 'up' }, secrets, events,
    alerts: { notify: (a) => alerts.push(a) }, bindAddress: '127.0.0.1', clock: systemClock, logger,
    spec: { plans: instances.plans, defaultPlan: 'starter', defaultImage: 'berth/test-agent:local', defaultPort: 8080, allowedImages: [] },
    defaults: { healthTimeoutSeconds: 5, failureAction: 'rollback' },
  });
  u.healthGate.attach({
    judge: async (_t, _ms, abandon) => {
      for (;;) {
        if (verdict !== 'hold') return verdict;
        const gone = await abandon?.();
        if (gone) return { healthy: false, reason: gone, exitCode: null, probes: 0, healthyAt: null };
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  });
  return u;
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-upgrader-'));
  store = openStore({ url: '', dataDir: dir, repositories: { clock: systemClock, illegalTransitions: 'throw' } });
  await store.migrate();
  fake = new FakeRuntimeDriver();
  events = new EventLog(store.repos.events, systemClock, logger);
  instances = createInstances({ config, store, runtime: fake, gate: { require: () => undefined, report: () => undefined }, secrets, events, clock: systemClock, logger });
  instances.watcher.attach({ watch: () => undefined, cancel: () => undefined });
  alerts = [];
  verdict = { healthy: true, reason: 'healthy', exitCode: null, probes: 1, healthyAt: Date.now() };
});
afterEach(async () => {
  await instances.service.shutdown();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function running(): Promise<string> {
  const { instance } = await instances.service.create({ tenant: 'acme', env: { V: '1' } }, 'test', SYSTEM_VIEWER);
  for (let i = 0; i < 200 && (await instances.repo.get(instance.id))?.status === 'creating'; i++) await new Promise((r) => setTimeout(r, 5));
  await instances.repo.transition(instance.id, 'starting', 'running');
  return instance.id;
}

const containersOf = (id: string) => [...fake.containers.values()].filter((c) => c.info.labels[LABELS.instance] === id).map((c) => ({ name: c.info.name, state: c.info.state, v: c.spec.env.V }));

describe('upgrader (fake engine)', () => {
  it('creates the new container beside the old, switches, and removes the old once healthy', async () => {
    const id = await running();
    const u = upgradesFor();
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    const done = await u.worker.submit(upgrade!.id);
    expect(done).toMatchObject({ status: 'succeeded', phase: 'committed', fromRevision: 1, toRevision: 2 });
    expect(await instances.repo.get(id)).toMatchObject({ status: 'running', revision: 2, previousRevision: 1 });
    expect(containersOf(id)).toEqual([{ name: 'berth-upg-acme-next', state: 'running', v: '2' }]);
    // Create before stop: the new container existed before the old one was stopped.
    const order = fake.calls.filter((c) => c.startsWith('createContainer berth-upg-acme-next') || c.startsWith('stopContainer'));
    expect(order[0]).toBe('createContainer berth-upg-acme-next');
  });

  it('a failed gate brings the old container back and records rollout-failed, rolled-back and an alert', async () => {
    const id = await running();
    const u = upgradesFor();
    verdict = { healthy: false, reason: 'the new container exited with code 3', exitCode: 3, probes: 2, healthyAt: null };
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    expect(await u.worker.submit(upgrade!.id)).toMatchObject({ status: 'rolled-back' });
    expect(await instances.repo.get(id)).toMatchObject({ status: 'starting', revision: 1 });
    expect(containersOf(id)).toEqual([{ name: 'berth-upg-acme', state: 'running', v: '1' }]);
    const types = (await events.list({ instanceId: id, limit: 50 })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['upgrading', 'rollout-failed', 'rolled-back']));
    expect(alerts.map((a) => [a.event, a.data?.exitCode])).toEqual([['rollout-failed', 3]]);
  });

  it('berth dying during the health gate: the next boot undoes the switch and runs the upgrade again', async () => {
    const id = await running();
    const first = upgradesFor();
    verdict = 'hold';
    const { upgrade } = await first.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    const dying = first.worker.submit(upgrade!.id);
    for (let i = 0; i < 400 && (await upgradeRepos(store).upgrades.get(upgrade!.id))?.phase !== 'switched'; i++) await new Promise((r) => setTimeout(r, 5));
    first.worker.stop().catch(() => undefined);
    await expect(dying).rejects.toBeInstanceOf(BerthError);
    // As berth left it: old stopped, new running, the record mid-way.
    expect(await upgradeRepos(store).upgrades.get(upgrade!.id)).toMatchObject({ status: 'running', phase: 'switched' });
    expect(containersOf(id).map((c) => c.state).sort()).toEqual(['exited', 'running']);

    verdict = { healthy: true, reason: 'healthy', exitCode: null, probes: 1, healthyAt: Date.now() };
    const second = upgradesFor();
    await second.worker.start();
    const done = await second.worker.submit(upgrade!.id);
    await second.worker.stop();
    expect(done).toMatchObject({ status: 'succeeded', toRevision: 2 });
    expect(await instances.repo.get(id)).toMatchObject({ status: 'running', revision: 2 });
    expect(containersOf(id)).toEqual([{ name: 'berth-upg-acme-next', state: 'running', v: '2' }]);
  });

  it('berth dying after the gate passed (engine failure while removing the old container): the resume completes it', async () => {
    const id = await running();
    const u = upgradesFor();
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    fake.failNext('removeContainer', () => new BerthError('RUNTIME_UNAVAILABLE', 'engine gone'));
    await expect(u.worker.submit(upgrade!.id)).rejects.toThrow('engine gone');
    expect(await upgradeRepos(store).upgrades.get(upgrade!.id)).toMatchObject({ status: 'running', phase: 'committed' });
    expect(await instances.repo.get(id)).toMatchObject({ status: 'upgrading', revision: 2 });

    const done = await upgradesFor().worker.submit(upgrade!.id);
    expect(done).toMatchObject({ status: 'succeeded' });
    // Resumed: started (it runs already) and judged again by the monitor.
    expect(await instances.repo.get(id)).toMatchObject({ status: 'starting', revision: 2 });
    expect(containersOf(id)).toEqual([{ name: 'berth-upg-acme-next', state: 'running', v: '2' }]);
  });

  it('an engine that refuses the new container: the upgrade fails at once with the old revision back (not retried forever)', async () => {
    const id = await running();
    const u = upgradesFor();
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    fake.failNext('createContainer', () => new BerthError('RUNTIME_ERROR', 'invalid mount config'));
    expect(await u.worker.submit(upgrade!.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('invalid mount config') });
    expect(await instances.repo.get(id)).toMatchObject({ revision: 1, status: 'starting' });
    expect(containersOf(id)).toEqual([{ name: 'berth-upg-acme', state: 'running', v: '1' }]);
    expect(alerts.map((a) => a.event)).toEqual(['rollout-failed']);
  });

  it('a delete during the health gate wins: the rollout stops and both containers go with the instance', async () => {
    const id = await running();
    const u = upgradesFor();
    verdict = 'hold';
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    const rolling = u.worker.submit(upgrade!.id);
    for (let i = 0; i < 400 && (await upgradeRepos(store).upgrades.get(upgrade!.id))?.phase !== 'switched'; i++) await new Promise((r) => setTimeout(r, 5));
    // Start/stop/restart answer at once rather than wait behind the rollout.
    await expect(instances.service.act(id, 'stop', 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const deleted = await instances.service.delete(id, { keepData: false }, 'test', SYSTEM_VIEWER);
    expect(deleted.done).toBe(true);
    expect(await rolling).toMatchObject({ status: 'cancelled' });
    expect(await instances.repo.get(id)).toBeUndefined();
    expect(containersOf(id)).toEqual([]);
  });

  it('refuses a second change while one is in progress, and a rollback to where it is', async () => {
    const id = await running();
    const u = upgradesFor();
    verdict = 'hold';
    const { upgrade } = await u.revisions.patch(id, { env: { V: '2' } }, {}, 'test', SYSTEM_VIEWER);
    void u.worker.submit(upgrade!.id).catch(() => undefined);
    await expect(u.revisions.patch(id, { env: { V: '3' } }, {}, 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(u.revisions.rollback(id, 1, {}, 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    verdict = { healthy: true, reason: 'healthy', exitCode: null, probes: 1, healthyAt: Date.now() };
    for (let i = 0; i < 400 && (await upgradeRepos(store).upgrades.get(upgrade!.id))?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 5));
    await expect(u.revisions.rollback(id, 2, {}, 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'revision' });
    await u.worker.stop();
  });
});
