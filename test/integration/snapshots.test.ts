import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/core/snapshots/snapshot-types.js';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { runBerth } from '../helpers/cli.js';
import { createInstance, untilStatus, type ErrorBody } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { unsafeDbForTests } from '../helpers/store-db.js';

/**
 * Workspace snapshots on the real engine: snapshot → write more → restore gives back exactly
 * the snapshot's tree (names, owners, modes, sizes, sha256 of every file); a new instance from
 * a snapshot starts with it; a corrupt file is refused with the instance untouched; a tenant
 * sees and uses only its own snapshots.
 */
let td: TestDaemon;
let tokenA: string;
let tokenB: string;

const WRITE = [
  'mkdir -p /workspace/d/e', 'echo one > /workspace/a.txt', 'head -c 300000 /dev/urandom > /workspace/d/blob',
  'ln -s a.txt /workspace/link', 'chmod 600 /workspace/a.txt', 'echo deep > /workspace/d/e/f',
].join(' && ');
const CHANGE = 'echo two > /workspace/a.txt && rm /workspace/d/blob && echo new > /workspace/new.txt && rm -r /workspace/d/e';
/** Every entry's name, owner, mode and size, and every file's sha256. */
const DIGEST = 'cd /workspace && find . -exec stat -c "%n %u:%g %a %F %s" {} + | sort && find . -type f -exec sha256sum {} + | sort';

async function sh(instance: string, script: string): Promise<string> {
  const res = await td.api<Instance>('GET', `/v1/instances/${instance}`);
  const out = await td.daemon.runtime.exec(res.body.containerId!, ['sh', '-c', script], { timeoutMs: 30_000, outputLimitBytes: 256 * 1024 });
  if (out.exitCode !== 0) throw new Error(`${script}: exit ${out.exitCode}: ${out.output}`);
  return out.output;
}

async function snapshot(instance: string, body: Record<string, unknown> = {}, token = td.token) {
  return td.api<Snapshot & ErrorBody>('POST', `/v1/instances/${instance}/snapshots`, body, token);
}

beforeAll(async () => {
  td = await startTestDaemon();
  tokenA = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'snap-a', tenant: 'sna' })).body.token;
  tokenB = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'snap-b', tenant: 'snb' })).body.token;
  for (const [tenant, name] of [['sna', 'sn-a'], ['snb', 'sn-b']] as const) {
    const made = await createInstance(td, { tenant, name, image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.body.status, JSON.stringify(made.body)).toBe('running');
  }
  await sh('sn-a', WRITE);
}, 180_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`workspace snapshots (${testEnv.store})`, () => {
  let snap: Snapshot;
  let before: string;

  it('snapshot (pause) → write more → restore: the workspace equals the snapshot; port kept, file 0600 with its sha256', async () => {
    before = await sh('sn-a', DIGEST);
    expect(before).toContain('./d/blob');
    const res = await snapshot('sn-a', { mode: 'pause' }, tokenA);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    snap = res.body;
    expect(snap).toMatchObject({ status: 'ready', tenant: 'sna', instance: 'sn-a', mode: 'pause', trigger: 'manual', actor: 'snap-a' });
    expect(snap.sizeBytes).toBeGreaterThan(300_000);
    expect(snap.pauseMs).toBeGreaterThanOrEqual(0);
    console.log(`[measure] pause-mode snapshot of a ${snap.sizeBytes}-byte workspace: agent paused ${snap.pauseMs} ms`);
    const file = path.join(td.dataDir, 'snapshots', snap.file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(snap.sha256);
    // The agent was thawed: it answers, and the instance stayed running.
    const running = await untilStatus(td, 'sn-a', 'running');

    await sh('sn-a', CHANGE);
    expect(await sh('sn-a', DIGEST)).not.toBe(before);

    const restored = await td.api<{ instance: Instance; snapshot: Snapshot } & ErrorBody>('POST', `/v1/instances/sn-a/snapshots/${snap.id}/restore`, undefined, tokenA);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const after = await untilStatus(td, 'sn-a', 'running', 90_000);
    expect(after.hostPort).toBe(running.hostPort);
    expect(after.containerId).not.toBe(running.containerId);
    expect(await sh('sn-a', DIGEST)).toBe(before);
    const events = await td.api<{ items: Array<{ type: string }> }>('GET', '/v1/instances/sn-a/events?limit=50');
    expect(events.body.items.map((e) => e.type)).toEqual(expect.arrayContaining(['snapshot-created', 'snapshot-restored']));
  }, 180_000);

  it('mode stop: the agent is stopped for the copy and running again after; the snapshot equals the workspace', async () => {
    const res = await snapshot('sn-a', { mode: 'stop' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ status: 'ready', mode: 'stop' });
    console.log(`[measure] stop-mode snapshot: agent down ${res.body.pauseMs} ms (stop + copy + start)`);
    await untilStatus(td, 'sn-a', 'running', 90_000);
    expect(await sh('sn-a', DIGEST)).toBe(before);
    // Taken from the restored workspace, so its tar is the same tree: a new instance from it matches.
    const copy = await createInstance(td, { tenant: 'sna', name: 'sn-copy', workspace: { fromSnapshot: res.body.id } }, '?wait=running&timeout=90');
    expect(copy.status, JSON.stringify(copy.body)).toBe(201);
    expect(await sh('sn-copy', DIGEST)).toBe(before);
  }, 180_000);

  it('a tenant sees and uses only its own snapshots: 404 for another tenant\'s, nothing changed', async () => {
    const mine = await td.api<{ items: Snapshot[] }>('GET', '/v1/snapshots', undefined, tokenB);
    expect(mine.body.items.some((s) => s.tenant === 'sna')).toBe(false);
    expect((await td.api('GET', `/v1/snapshots/${snap.id}`, undefined, tokenB)).status).toBe(404);
    expect((await td.api('DELETE', `/v1/snapshots/${snap.id}`, undefined, tokenB)).status).toBe(404);
    expect((await td.api('GET', '/v1/instances/sn-a/snapshots', undefined, tokenB)).status).toBe(404);
    expect((await td.api('POST', `/v1/instances/sn-b/snapshots/${snap.id}/restore`, undefined, tokenB)).status).toBe(404);
    // Even the admin cannot start another tenant's instance from it.
    const other = await createInstance(td, { tenant: 'snb', name: 'sn-steal', workspace: { fromSnapshot: snap.id } });
    expect(other.status).toBe(403);
    expect(other.body.error.field).toBe('workspace.fromSnapshot');
    const stolen = await td.api<ErrorBody>('POST', '/v1/instances', { tenant: 'snb', name: 'sn-steal', workspace: { fromSnapshot: snap.id } }, tokenB);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await td.api('GET', '/v1/instances/sn-steal')).status).toBe(404);
    // The admin cannot restore one tenant's snapshot into another's instance either.
    const cross = await td.api<ErrorBody>('POST', `/v1/instances/sn-b/snapshots/${snap.id}/restore`);
    expect(cross.status).toBe(403);
    expect((await td.api<Snapshot>('GET', `/v1/snapshots/${snap.id}`, undefined, tokenA)).body.status).toBe('ready');
  }, 60_000);

  it('a restore that fails (file no longer matches its sha256) leaves the instance as it was', async () => {
    const now = await untilStatus(td, 'sn-a', 'running');
    const content = await sh('sn-a', DIGEST);
    const taken = (await snapshot('sn-a')).body;
    await sh('sn-a', 'echo later > /workspace/later.txt');
    const changed = await sh('sn-a', DIGEST);
    expect(changed).not.toBe(content);
    appendFileSync(path.join(td.dataDir, 'snapshots', taken.file), 'tampered');
    const res = await td.api<ErrorBody>('POST', `/v1/instances/sn-a/snapshots/${taken.id}/restore`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SNAPSHOT_CORRUPT');
    const after = await untilStatus(td, 'sn-a', 'running');
    expect(after.containerId).toBe(now.containerId);
    expect(await sh('sn-a', DIGEST)).toBe(changed);
    const events = await td.api<{ items: Array<{ type: string }> }>('GET', '/v1/instances/sn-a/events?limit=5');
    expect(events.body.items[0]?.type).toBe('snapshot-restore-failed');
  }, 120_000);

  it('a restore whose extraction fails (a file that is not a tar, recorded as valid) leaves the instance and its volumes as they were', async () => {
    const now = await untilStatus(td, 'sn-a', 'running');
    const content = await sh('sn-a', DIGEST);
    const taken = (await snapshot('sn-a')).body;
    const garbage = Buffer.alloc(4096, 7);
    writeFileSync(path.join(td.dataDir, 'snapshots', taken.file), garbage);
    await unsafeDbForTests(td.daemon.store).updateTable('snapshots').set({ sha256: createHash('sha256').update(garbage).digest('hex'), size_bytes: garbage.length }).where('id', '=', taken.id).execute();
    const volumes = async (): Promise<string[]> => ((await rawDocker().listVolumes({ filters: { label: [`berth.scope=${td.scope}`] } })).Volumes ?? []).map((v) => v.Name).sort();
    const holders = async (): Promise<number> => (await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, 'berth.kind=workspace-holder'] } })).length;
    const volumesBefore = await volumes();
    const res = await td.api<ErrorBody>('POST', `/v1/instances/sn-a/snapshots/${taken.id}/restore`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const after = await untilStatus(td, 'sn-a', 'running');
    expect(after.containerId).toBe(now.containerId);
    expect(await sh('sn-a', DIGEST)).toBe(content);
    expect(await volumes()).toEqual(volumesBefore);
    expect(await holders()).toBe(0);
  }, 120_000);

  it('bad input is refused naming the field; delete removes the file; snapshots outlive their instance', async () => {
    const bad = await snapshot('sn-a', { mode: 'freeze' });
    expect(bad.status).toBe(400);
    expect((await td.api('POST', '/v1/instances/sn-a/snapshots/snp_nope/restore')).status).toBe(404);
    const both = await td.api<ErrorBody>('POST', '/v1/instances', { tenant: 'sna', name: 'sn-both', workspace: { from: 'wks_x', fromSnapshot: snap.id } });
    expect(both.status).toBe(400);
    expect(both.body.error.field).toBe('workspace');

    const gone = (await snapshot('sn-b', {}, tokenB)).body;
    const file = path.join(td.dataDir, 'snapshots', gone.file);
    expect(statSync(file).size).toBe(gone.sizeBytes);
    expect((await td.api('DELETE', `/v1/instances/sn-b`)).status).toBe(200);
    const kept = await td.api<Snapshot>('GET', `/v1/snapshots/${gone.id}`, undefined, tokenB);
    expect(kept.body.status).toBe('ready');
    // The instance is gone: restoring "into it" says how to get the workspace back.
    const orphan = await td.api<ErrorBody>('POST', `/v1/instances/sn-b/snapshots/${gone.id}/restore`, undefined, tokenB);
    expect(orphan.status).toBe(404);
    expect((await td.api('DELETE', `/v1/snapshots/${gone.id}`, undefined, tokenB)).status).toBe(200);
    expect(() => statSync(file)).toThrow();
    expect((await td.api('GET', `/v1/snapshots/${gone.id}`, undefined, tokenB)).status).toBe(404);
  }, 120_000);

  it('a stopped instance is copied as it is and stays stopped through a restore; a body-less POST takes a pause snapshot', async () => {
    const made = await createInstance(td, { tenant: 'sna', name: 'sn-stopped', image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.body.status).toBe('running');
    await sh('sn-stopped', 'echo first > /workspace/f');
    const first = await td.api<Snapshot>('POST', '/v1/instances/sn-stopped/snapshots');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.mode).toBe('pause');
    await sh('sn-stopped', 'echo second > /workspace/f');
    expect((await td.api('POST', '/v1/instances/sn-stopped/actions', { action: 'stop' })).status).toBe(200);
    const cold = await snapshot('sn-stopped', { mode: 'stop' });
    expect(cold.status).toBe(201);
    expect(cold.body.pauseMs).toBe(0);
    const restored = await td.api<{ instance: Instance }>('POST', `/v1/instances/sn-stopped/snapshots/${first.body.id}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.instance.status).toBe('stopped');
    expect((await td.api('POST', '/v1/instances/sn-stopped/actions?wait=running&timeout=90', { action: 'start' })).status).toBe(200);
    expect((await sh('sn-stopped', 'cat /workspace/f')).trim()).toBe('first');
  }, 180_000);

  it('CLI: berth snapshot create / ls / restore / rm, and berth create --from-snapshot', async () => {
    const env = { PATH: process.env.PATH ?? '', BERTH_URL: td.url, BERTH_TOKEN: tokenA, NO_COLOR: '1' };
    const made = await runBerth(['snapshot', 'create', 'sn-a', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const snap = JSON.parse(made.stdout) as Snapshot;
    expect(snap).toMatchObject({ status: 'ready', instance: 'sn-a', mode: 'pause' });
    const human = await runBerth(['snapshot', 'ls', 'sn-a'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(snap.id);
    const copy = await runBerth(['create', 'sna', '--name', 'sn-cli', '--from-snapshot', snap.id, '--wait', '--timeout', '90', '--json'], env, { timeoutMs: 120_000 });
    expect(copy.code, copy.stderr).toBe(0);
    const restored = await runBerth(['snapshot', 'restore', snap.id, '--json'], env, { timeoutMs: 120_000 });
    expect(restored.code, restored.stderr).toBe(0);
    expect((JSON.parse(restored.stdout) as { instance: { name: string } }).instance.name).toBe('sn-a');
    const removed = await runBerth(['snapshot', 'rm', snap.id], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await runBerth(['snapshot', 'rm', snap.id], env)).code).toBe(3);
    // Another tenant's token: not found.
    const other = await runBerth(['snapshot', 'ls', 'sn-a'], { ...env, BERTH_TOKEN: tokenB });
    expect(other.code).toBe(3);
  }, 240_000);
});
