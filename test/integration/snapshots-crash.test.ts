import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { Snapshot } from '../../src/core/snapshots/snapshot-types.js';
import { spawnBerth, type DaemonProcess } from '../helpers/daemon-process.js';
import { storeUrlFor } from '../helpers/databases.js';
import { rawDocker, removeScope } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { until } from '../helpers/instances.js';
import { uniqueScope } from '../helpers/test-daemon.js';

/**
 * berth is SIGKILLed in the middle of a snapshot (agent paused, file half written) and of a
 * restore (new volume being filled by its holder); the next boot thaws the agent, marks the
 * snapshot failed without a file, removes the holder, and the instance runs on one whole
 * workspace (the old one), with no volume left over.
 */
describe(`crash during a snapshot and a restore (${testEnv.store})`, () => {
  const scope = uniqueScope('snapcrash');
  const procs: DaemonProcess[] = [];
  let drop: () => Promise<void> = async () => undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await removeScope(scope);
    await drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the next boot thaws the agent, fails the half-taken snapshot, removes the holder; the workspace is whole', async () => {
    const db = await storeUrlFor(testEnv.store);
    drop = db.drop;
    const env = { DATABASE_URL: db.url, BERTH_SCOPE: scope, BERTH_LOG_LEVEL: 'warn' };
    const start = async (): Promise<DaemonProcess> => {
      const p = spawnBerth(['serve'], env, dataDir ? { dataDir } : {});
      procs.push(p);
      dataDir = p.dataDir;
      await p.waitReady(60_000);
      return p;
    };
    let berth = await start();
    const token = readFileSync(path.join(berth.dataDir, 'admin.token'), 'utf8').trim();
    const call = <T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> =>
      fetch(`${berth.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as T }), () => ({ status: 0, body: {} as T }));
    const made = await call<Instance>('POST', '/v1/instances?wait=running&timeout=90', { tenant: 'crash', name: 'crash-a', image: testEnv.image });
    expect(made.body.status).toBe('running');
    const docker = rawDocker();
    const digest = async (containerId: string): Promise<string> => {
      const exec = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', 'cd /workspace && find . -type f -exec sha256sum {} + | sort'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve) => { stream.on('data', (c: Buffer) => chunks.push(c)); stream.on('end', () => resolve()); });
      return Buffer.concat(chunks).toString('latin1');
    };
    // Large enough that the copy takes a while: the kill lands while it runs.
    const fill = await docker.getContainer(made.body.containerId!).exec({ Cmd: ['sh', '-c', 'head -c 60000000 /dev/urandom > /workspace/big && echo ok > /workspace/small'], AttachStdout: true });
    await new Promise<void>((resolve) => { void fill.start({}).then((s) => { s.on('end', () => resolve()); s.resume(); }); });
    await until(async () => (await docker.getContainer(made.body.containerId!).exec({ Cmd: ['test', '-s', '/workspace/small'] }).then((e) => e.start({}).then(() => e.inspect()))).ExitCode, (c) => c === 0, 60_000, 200);
    const before = await digest(made.body.containerId!);
    const good = await call<Snapshot>('POST', '/v1/instances/crash-a/snapshots', {});
    expect(good.status).toBe(201);
    console.log(`[measure] pause-mode snapshot of a ${good.body.sizeBytes}-byte workspace: agent paused ${good.body.pauseMs} ms`);

    // 1. Killed mid-snapshot: the partial file exists while the agent is paused.
    const snapDir = path.join(berth.dataDir, 'snapshots', 'crash');
    void call('POST', '/v1/instances/crash-a/snapshots', {});
    const partial = await until(async () => (existsSync(snapDir) ? readdirSync(snapDir).some((f) => f.endsWith('.partial')) : false), (x) => x, 30_000, 5);
    expect(partial).toBe(true);
    expect((await docker.getContainer(made.body.containerId!).inspect()).State.Paused).toBe(true);
    berth.child.kill('SIGKILL');
    await berth.exited;
    berth = await start();
    // SQLite: at boot. Postgres: the killed berth's instance lock outlives it until it expires
    // (cluster.instanceLockSeconds, 15 s), then the new berth's recovery, looking again every 3 s, takes over.
    const list = await until(() => call<{ items: Snapshot[] }>('GET', '/v1/instances/crash-a/snapshots'), (r) => !r.body.items.some((s) => s.status === 'creating'), 40_000, 250);
    expect(list.body.items.map((s) => s.status).sort()).toEqual(['failed', 'ready']);
    const info = await docker.getContainer(made.body.containerId!).inspect();
    expect(info.State.Paused).toBe(false);
    expect(info.State.Running).toBe(true);
    expect(readdirSync(snapDir).filter((f) => f.endsWith('.partial'))).toEqual([]);

    // 2. Killed mid-restore: a holder container is filling a new volume.
    const holders = (): Promise<Array<{ Id: string }>> => docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`, 'berth.kind=workspace-holder'] } });
    void call('POST', `/v1/instances/crash-a/snapshots/${good.body.id}/restore`);
    expect((await until(holders, (h) => h.length > 0, 30_000, 5)).length).toBe(1);
    berth.child.kill('SIGKILL');
    await berth.exited;
    berth = await start();
    expect(await holders()).toEqual([]);
    const back = await until(() => call<Instance>('GET', '/v1/instances/crash-a'), (r) => r.body.status === 'running', 90_000, 300);
    expect(back.body.status).toBe('running');
    // The copy was taken of the same content, so whichever volume the row names, the workspace is whole.
    expect(await digest(back.body.containerId!)).toBe(before);
    const volumes = async (): Promise<string[]> => ((await docker.listVolumes({ filters: { label: [`berth.scope=${scope}`] } })).Volumes ?? []).map((v) => v.Name);
    // The new volume of the interrupted restore is an orphan: the reconciler's pass removes it.
    expect((await until(volumes, (v) => v.length === 1, 90_000, 500)).length).toBe(1);
  }, 420_000);
});
