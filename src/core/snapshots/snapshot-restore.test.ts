import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../../test/helpers/fake-runtime-driver.js';
import { systemClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { loadConfig } from '../../config/loader.js';
import type { ImportToVolumeOptions } from '../../runtime/runtime-driver.js';
import { openStore, type Store } from '../../store/store.js';
import { EventLog } from '../events/event-log.js';
import { createInstances, type Instances } from '../instances/create-instances.js';
import { SYSTEM_VIEWER } from '../instances/instance-types.js';
import { SecretBox } from '../secrets/secret-box.js';
import { createSnapshots, type Snapshots } from './create-snapshots.js';

/** The fake engine with the archive calls: a "workspace" is the bytes last imported into a volume. */
class ArchiveFake extends FakeRuntimeDriver {
  readonly contents = new Map<string, Buffer>();
  async exportPath(): Promise<Readable> {
    return Readable.from([Buffer.from('tar bytes')]);
  }
  async pauseContainer(): Promise<void> {}
  async unpauseContainer(): Promise<void> {}
  async importToVolume(o: ImportToVolumeOptions): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of o.tar) chunks.push(c as Buffer);
    await this.ensureVolume(o.volume, o.volumeLabels);
    this.contents.set(o.volume, Buffer.concat(chunks));
    return `holder-${o.volume}`;
  }
}

let dir: string;
let store: Store;
let fake: ArchiveFake;
let instances: Instances;
let snapshots: Snapshots;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-restore-'));
  store = openStore({ url: '', dataDir: dir, repositories: { clock: systemClock, illegalTransitions: 'throw' } });
  await store.migrate();
  const { config } = loadConfig({ env: {}, cwd: '/nonexistent-dir', flags: { 'runtime.scope': 'rst', dataDir: dir } });
  const logger = createLogger('silent');
  fake = new ArchiveFake();
  const events = new EventLog(store.repos.events, systemClock, logger);
  const gate = { require: () => undefined, report: () => undefined };
  instances = createInstances({ config, store, runtime: fake, gate, secrets: new SecretBox(randomBytes(32)), events, clock: systemClock, logger });
  instances.watcher.attach({ watch: () => undefined, cancel: () => undefined });
  snapshots = createSnapshots({ config, repo: store.repos.snapshots, instances, runtime: fake, gate, events, clock: systemClock, logger });
});
afterEach(async () => {
  await instances.service.shutdown();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function running(): Promise<string> {
  const { instance } = await instances.service.create({ tenant: 'acme' }, 'test', SYSTEM_VIEWER);
  for (let i = 0; i < 200 && (await instances.repo.get(instance.id))?.status === 'creating'; i++) await new Promise((r) => setTimeout(r, 10));
  return instance.id;
}

describe('snapshot restore (fake engine)', () => {
  it('swaps to a new volume and removes the old one', async () => {
    const id = await running();
    const old = (await instances.repo.get(id))!.workspaceVolume!;
    const snap = await snapshots.service.create(id, { mode: 'pause' }, 'test', SYSTEM_VIEWER);
    await snapshots.restore.restore(snap.id, undefined, 'test', SYSTEM_VIEWER);
    const row = (await instances.repo.get(id))!;
    expect(row.workspaceVolume).not.toBe(old);
    expect(fake.contents.get(row.workspaceVolume!)?.toString()).toBe('tar bytes');
    expect(fake.volumes.has(old)).toBe(false);
    expect(row.status).toBe('starting');
  });

  it('a failure after the swap (the new container does not start) puts the old volume back and starts the agent on it', async () => {
    const id = await running();
    const old = (await instances.repo.get(id))!.workspaceVolume!;
    const snap = await snapshots.service.create(id, { mode: 'pause' }, 'test', SYSTEM_VIEWER);
    fake.failNext('startContainer');
    await expect(snapshots.restore.restore(snap.id, undefined, 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'RUNTIME_ERROR' });
    const row = (await instances.repo.get(id))!;
    expect(row.workspaceVolume).toBe(old);
    expect(row.status).toBe('starting');
    expect([...fake.volumes.keys()]).toEqual([old]);
    const containers = [...fake.containers.values()];
    expect(containers).toHaveLength(1);
    expect(containers[0]!.info.state).toBe('running');
    expect(containers[0]!.spec.volumes[0]!.name).toBe(old);
  });

  it('a failure before the swap (the stop fails) leaves everything as it was', async () => {
    const id = await running();
    const before = (await instances.repo.get(id))!;
    const snap = await snapshots.service.create(id, { mode: 'pause' }, 'test', SYSTEM_VIEWER);
    fake.failNext('stopContainer');
    await expect(snapshots.restore.restore(snap.id, undefined, 'test', SYSTEM_VIEWER)).rejects.toMatchObject({ code: 'RUNTIME_ERROR' });
    const row = (await instances.repo.get(id))!;
    expect(row.workspaceVolume).toBe(before.workspaceVolume);
    expect(row.containerId).toBe(before.containerId);
    expect([...fake.volumes.keys()]).toEqual([before.workspaceVolume]);
    expect(fake.containers.get(before.containerId!)?.info.state).toBe('running');
  });
});
