import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import type { ExitHandler, ExitInfo } from '../../src/reconciler/exit-handler.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, untilStatus } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** The reconciler on its own: the monitor is off (its exit policy is not under test here), passes run on demand. */
describe(`reconciler repairs drift (${testEnv.store})`, () => {
  let td: TestDaemon;
  const docker = rawDocker();
  const strangers: string[] = [];

  beforeAll(async () => {
    td = await startTestDaemon({ flags: { 'monitor.enabled': false, 'monitor.reconcileIntervalSeconds': 3600 } });
  });
  afterAll(async () => {
    for (const id of strangers) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    await td?.cleanup();
  });

  async function labelledContainer(labels: Record<string, string>): Promise<string> {
    const c = await docker.createContainer({ Image: testEnv.image, Labels: labels, HostConfig: { NetworkMode: 'none' } });
    return c.id;
  }

  it('removes orphans of its own scope and never touches unlabelled or other-scope objects', async () => {
    const managed = { 'berth.managed': 'true', 'berth.scope': td.scope };
    const orphan = await labelledContainer({ ...managed, 'berth.kind': 'instance', 'berth.instance': 'ins_ghost', 'berth.name': 'ghost' });
    await docker.createVolume({ Name: `berth-${td.scope}-ghost-ws`, Labels: { ...managed, 'berth.kind': 'workspace', 'berth.name': 'ghost' } });
    await docker.createNetwork({ Name: `berth-${td.scope}-net-ghost`, Labels: { ...managed, 'berth.kind': 'network', 'berth.tenant': 'ghost' } });
    const unlabelled = await labelledContainer({ 'berth.test': td.scope });
    const otherScope = await labelledContainer({ 'berth.managed': 'true', 'berth.scope': `${td.scope}-other`, 'berth.kind': 'instance', 'berth.instance': 'ins_x' });
    strangers.push(unlabelled, otherScope);

    const report = await td.daemon.reconciler.reconcileNow();
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ orphanContainers: 1, orphanVolumes: 1, orphanNetworks: 1 });
    await expect(docker.getContainer(orphan).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(`berth-${td.scope}-ghost-ws`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getNetwork(`berth-${td.scope}-net-ghost`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getContainer(unlabelled).inspect()).Id).toBe(unlabelled);
    expect((await docker.getContainer(otherScope).inspect()).Id).toBe(otherScope);
    const ev = await td.api<{ items: Array<{ type: string; actor: string }> }>('GET', '/v1/events?type=orphan-removed');
    expect(ev.body.items).toEqual([expect.objectContaining({ type: 'orphan-removed', actor: 'berth' })]);
  });

  it('finishes a create that stopped after the row was written', async () => {
    // What a crash right after the INSERT leaves: a `creating` row, no container.
    const res = await createInstance(td, { tenant: 'half', image: testEnv.image }, '?wait=running&timeout=60');
    expect(res.status).toBe(201);
    await docker.getContainer(res.body.containerId!).remove({ force: true });
    await unsafeDbForTests(td.daemon.store).updateTable('instances').set({ status: 'creating', container_id: null }).where('id', '=', res.body.id).execute();

    const report = await td.daemon.reconciler.reconcileNow();
    expect(report.errors).toEqual([]);
    const done = await untilStatus(td, 'half', 'running');
    expect(done.containerId).not.toBe(res.body.containerId);
    expect(done.hostPort).toBe(res.body.hostPort);
  });

  it('finishes a delete that stopped halfway', async () => {
    const res = await createInstance(td, { tenant: 'gone', image: testEnv.image }, '?wait=running&timeout=60');
    await unsafeDbForTests(td.daemon.store).updateTable('instances').set({ status: 'deleting' }).where('id', '=', res.body.id).execute();
    const report = await td.daemon.reconciler.reconcileNow();
    expect(report.errors).toEqual([]);
    expect((await getInstance(td, 'gone')).status).toBe(404);
    await expect(docker.getContainer(res.body.containerId!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(`berth-${td.scope}-gone-ws`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('hands an exited container to the exit policy instead of restarting it itself; the default policy starts it again', async () => {
    const calls: Array<{ instance: Instance; exit: ExitInfo }> = [];
    const recorder: ExitHandler = { handleExit: async (instance, exit) => void calls.push({ instance, exit }) };
    td.daemon.reconciler.setExitHandler(recorder);
    const res = await createInstance(td, { tenant: 'crashy', image: testEnv.image }, '?wait=running&timeout=60');
    await fetch(`${res.body.url}/exit?code=3`, { method: 'POST' });
    await docker.getContainer(res.body.containerId!).wait();

    await td.daemon.reconciler.reconcileNow();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.instance.name).toBe('crashy');
    expect(calls[0]!.exit).toMatchObject({ containerId: res.body.containerId, exitCode: 3, oomKilled: false });
    expect((await docker.getContainer(res.body.containerId!).inspect()).State.Running).toBe(false);

    const { RestartOnExit } = await import('../../src/reconciler/exit-handler.js');
    td.daemon.reconciler.setExitHandler(new RestartOnExit(td.daemon.instances));
    await td.daemon.reconciler.reconcileNow();
    const back = await untilStatus(td, 'crashy', 'running');
    expect(back.containerId).toBe(res.body.containerId);
    expect((await docker.getContainer(res.body.containerId!).inspect()).State.Running).toBe(true);
  });

  it('stops a container that runs against the desired state, and adopts one created before the row learned its id', async () => {
    const res = await createInstance(td, { tenant: 'quiet', image: testEnv.image }, '?wait=running&timeout=60');
    await td.api('POST', '/v1/instances/quiet/actions', { action: 'stop' });
    await docker.getContainer(res.body.containerId!).start();
    await td.daemon.reconciler.reconcileNow();
    expect((await docker.getContainer(res.body.containerId!).inspect()).State.Running).toBe(false);
    expect((await getInstance(td, 'quiet')).body.status).toBe('stopped');

    // Crash between "container created" and "row updated": the container is found by name and label.
    await unsafeDbForTests(td.daemon.store).updateTable('instances').set({ container_id: null, desired_state: 'running', status: 'running' }).where('id', '=', res.body.id).execute();
    await td.daemon.reconciler.reconcileNow();
    const adopted = await untilStatus(td, 'quiet', 'running');
    expect(adopted.containerId).toBe(res.body.containerId);
    const ours = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, 'berth.name=quiet'] } });
    expect(ours).toHaveLength(1);
  });
});
