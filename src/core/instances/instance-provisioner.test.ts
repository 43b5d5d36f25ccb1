import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../../test/helpers/fake-runtime-driver.js';
import { systemClock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { loadConfig } from '../../config/loader.js';
import { LABELS } from '../../runtime/labels.js';
import { openStore, type Store } from '../../store/store.js';
import { EventLog } from '../events/event-log.js';
import { SecretBox } from '../secrets/secret-box.js';
import { createInstances, type Instances } from './create-instances.js';
import { SYSTEM_VIEWER } from './instance-types.js';

let dir: string;
let store: Store;
let fake: FakeRuntimeDriver;
let instances: Instances;
let watched: string[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-provisioner-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
  const { config } = loadConfig({ env: {}, cwd: '/nonexistent-dir', flags: { 'runtime.scope': 'prov' } });
  const logger = createLogger('silent');
  fake = new FakeRuntimeDriver();
  instances = createInstances({
    config, store, runtime: fake, gate: { require: () => undefined, report: () => undefined }, secrets: new SecretBox(randomBytes(32)),
    events: new EventLog(store.repos.events, systemClock, logger), clock: systemClock, logger,
  });
  watched = [];
  instances.watcher.attach({ watch: (id) => watched.push(id), cancel: () => undefined });
});
afterEach(async () => {
  await instances.service.shutdown();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function settle(id: string): Promise<string | undefined> {
  for (let i = 0; i < 200; i++) {
    const row = await instances.repo.get(id);
    if (row?.status !== 'creating') return row?.status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return (await instances.repo.get(id))?.status;
}

describe('instance provisioner (fake engine)', () => {
  it('creates volume, network and a labelled container, starts it and asks the health judge to watch', async () => {
    const { instance } = await instances.service.create({ tenant: 'acme' }, 'test', SYSTEM_VIEWER);
    expect(await settle(instance.id)).toBe('starting');
    const [container] = fake.containers.values();
    expect(container?.info).toMatchObject({ state: 'running', labels: expect.objectContaining({ [LABELS.instance]: instance.id }) });
    expect(fake.volumes.size).toBe(1);
    expect((await instances.repo.get(instance.id))?.containerId).toBe(container?.info.id);
    expect(watched).toEqual([instance.id]);
    // The critical path: one inspect (is a container of that name there?), never one of the container just created.
    expect(fake.calls.filter((c) => c.startsWith('inspectContainer'))).toHaveLength(1);
    expect(fake.calls.filter((c) => c.startsWith('createContainer') || c.startsWith('startContainer'))).toHaveLength(2);
  });

  it('leaves a create `creating` on a transient engine failure, and finishes it on the next attempt', async () => {
    fake.failNext('createContainer', () => new BerthError('RUNTIME_UNAVAILABLE', 'engine away'));
    const { instance } = await instances.service.create({ tenant: 'acme' }, 'test', SYSTEM_VIEWER);
    await instances.service.shutdown();
    expect((await instances.repo.get(instance.id))).toMatchObject({ status: 'creating', lastError: expect.stringContaining('engine away') });
    await instances.provisioner.finishCreate(instance.id, 'berth');
    expect((await instances.repo.get(instance.id))?.status).toBe('starting');
    expect(watched).toEqual([instance.id]);
  });

  it('marks a create failed when the failure cannot be retried (image gone)', async () => {
    const { instance } = await instances.service.create({ tenant: 'acme' }, 'test', SYSTEM_VIEWER);
    await settle(instance.id);
    // The image disappears between the API's check and the container create.
    fake.failNext('createContainer', () => new BerthError('IMAGE_NOT_FOUND', 'no such image'));
    const second = await instances.service.create({ tenant: 'beta' }, 'test', SYSTEM_VIEWER);
    expect(await settle(second.instance.id)).toBe('failed');
    expect(fake.containers.size).toBe(1);
  });

  it('stops, starts and restarts through the status machine', async () => {
    const { instance } = await instances.service.create({ tenant: 'acme' }, 'test', SYSTEM_VIEWER);
    await settle(instance.id);
    expect((await instances.service.stop(instance.id, 'test', SYSTEM_VIEWER)).status).toBe('stopped');
    expect([...fake.containers.values()][0]?.info.state).toBe('exited');
    expect((await instances.service.start(instance.id, 'test', SYSTEM_VIEWER)).status).toBe('starting');
    expect((await instances.service.restart(instance.id, 'test', SYSTEM_VIEWER)).status).toBe('starting');
    expect(watched).toEqual([instance.id, instance.id, instance.id]);
    await expect(instances.service.get(instance.id, { tenant: 'other' })).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
  });
});
