import { BerthError, describeError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { LABELS } from '../../runtime/labels.js';
import type { InstanceRecord } from '../../store/repositories/instances-repo.js';
import { containerName, WORKSPACE_TARGET, workspaceLabels, workspaceVolumeFor, workspaceVolumeOf } from '../instances/container-spec.js';
import { STATUS } from '../../common/instance-status.js';
import type { Instance, Viewer } from '../instances/instance-types.js';
import { toInstance } from '../instances/instance-view.js';
import type { SnapshotService } from './snapshot-service.js';
import type { Snapshot } from './snapshot-types.js';

/** What InstanceService.create needs to start a new instance from a snapshot (workspace.fromSnapshot). */
export interface WorkspaceSeeder {
  /** The snapshot, if `viewer` may use it for an instance of `tenant`; refused otherwise, before anything is made. */
  check(snapshotId: string, tenant: string, viewer: Viewer): Promise<Snapshot>;
  /** Fills the new instance's (not yet existing) volume; `keep` once the row exists, `discard` if it never will. */
  seed(snapshot: Snapshot, target: { id: string; name: string; tenant: string; image: string; volume: string }): Promise<SeededWorkspace>;
}

export interface SeededWorkspace {
  keep(): Promise<void>;
  discard(): Promise<void>;
}

export const HOLDER_KIND = 'workspace-holder';

/**
 * Restores: the snapshot's tar is checked against its sha256, then extracted into a fresh
 * volume while the agent still runs; only then is the agent stopped, its container made again
 * on the new volume and started. The old volume is removed last. Any failure before the swap
 * leaves the instance untouched; a failure after it puts the old volume back.
 */
export class SnapshotRestore implements WorkspaceSeeder {
  constructor(private readonly s: SnapshotService, private readonly scope: string, private readonly bindAddress: string) {}

  private get d() {
    return this.s.d;
  }

  private requireDriver(): void {
    if (!this.d.runtime.importToVolume) throw new BerthError('INVALID_STATE', `the ${this.d.runtime.name} runtime driver cannot restore workspace snapshots`);
  }

  private holderLabels(instanceId: string): Record<string, string> {
    // Not berth.managed: the orphan pass must not take a holder for a stray container mid-copy.
    return { [LABELS.scope]: this.scope, [LABELS.kind]: HOLDER_KIND, [LABELS.instance]: instanceId };
  }

  /** Verifies the file and extracts it into `volume` (made by the holder's mount); returns the holder's id. */
  private async extract(snapshot: Snapshot, row: { id: string; name: string; tenant: string }, image: string, volume: string): Promise<string> {
    this.requireDriver();
    await this.d.files.verify(snapshot.file, snapshot.sha256, snapshot.sizeBytes);
    try {
      return await this.d.runtime.importToVolume!({
        volume, volumeLabels: workspaceLabels(this.scope, row), image, target: WORKSPACE_TARGET,
        holderName: `berth-${this.scope}-wscopy-${newId('', this.d.clock.now()).slice(-12)}`,
        holderLabels: this.holderLabels(row.id), tar: this.d.files.open(snapshot.file),
      });
    } catch (error) {
      await this.d.runtime.removeVolume(volume).catch(() => undefined);
      throw error;
    }
  }

  async check(snapshotId: string, tenant: string, viewer: Viewer): Promise<Snapshot> {
    const found = await this.d.repo.get(snapshotId);
    if (!found || (viewer.tenant && found.tenant !== viewer.tenant)) {
      throw new BerthError('SNAPSHOT_NOT_FOUND', `workspace.fromSnapshot: no snapshot ${snapshotId}`, { field: 'workspace.fromSnapshot' });
    }
    if (found.tenant !== tenant) throw new BerthError('FORBIDDEN', `workspace.fromSnapshot: snapshot ${snapshotId} belongs to another tenant than ${tenant}`, { field: 'workspace.fromSnapshot' });
    if (found.status !== 'ready') throw new BerthError('INVALID_STATE', `workspace.fromSnapshot: snapshot ${snapshotId} is ${found.status}`, { field: 'workspace.fromSnapshot' });
    this.requireDriver();
    return found;
  }

  async seed(snapshot: Snapshot, target: { id: string; name: string; tenant: string; image: string; volume: string }): Promise<SeededWorkspace> {
    const holder = await this.extract(snapshot, target, target.image, target.volume);
    const { runtime } = this.d;
    return {
      keep: async () => {
        await runtime.removeContainer(holder).catch(() => undefined);
      },
      discard: async () => {
        await runtime.removeContainer(holder).catch(() => undefined);
        await runtime.removeVolume(target.volume).catch(() => undefined);
      },
    };
  }

  /** Restores a snapshot into an instance of its tenant (by default the one it was taken of). */
  async restore(snapshotId: string, idOrName: string | undefined, actor: string, viewer: Viewer): Promise<{ instance: Instance; snapshot: Snapshot }> {
    const snapshot = await this.s.visible(snapshotId, viewer);
    const found = await this.d.find(idOrName ?? snapshot.instanceId, viewer).catch((error: unknown) => {
      if (idOrName === undefined && error instanceof BerthError && error.code === 'INSTANCE_NOT_FOUND') {
        throw new BerthError('INSTANCE_NOT_FOUND', `instance ${snapshot.instance} of snapshot ${snapshotId} no longer exists; create one with {"workspace": {"fromSnapshot": "${snapshotId}"}}`);
      }
      throw error;
    });
    if (found.tenant !== snapshot.tenant) throw new BerthError('FORBIDDEN', `snapshot ${snapshotId} belongs to another tenant than instance ${found.name}`);
    if (snapshot.status !== 'ready') throw new BerthError('INVALID_STATE', `snapshot ${snapshotId} is ${snapshot.status}`);
    this.d.gate.require();
    this.requireDriver();
    try {
      await this.d.lock.run(found.id, () => this.swap(found.id, snapshot, actor));
    } catch (error) {
      this.d.gate.report(error);
      await this.d.events.record({
        instanceId: found.id, instance: found.name, tenant: found.tenant, type: 'snapshot-restore-failed', actor,
        message: `restore of snapshot ${snapshotId} failed; the instance is as it was: ${describeError(error)}`, data: { snapshot: snapshotId },
      });
      throw error;
    }
    const row = (await this.d.instances.get(found.id))!;
    return { instance: toInstance(row, this.bindAddress), snapshot };
  }

  private async swap(id: string, snapshot: Snapshot, actor: string): Promise<void> {
    const row = await this.d.instances.get(id);
    if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `no instance ${id}`);
    if (STATUS.busy.includes(row.status)) throw new BerthError('INVALID_STATE', `instance ${row.name} is ${row.status}; try again when it is done`);
    const fresh = `${workspaceVolumeFor(this.scope, row.id)}-r${newId('', this.d.clock.now()).slice(-10)}`;
    // The agent keeps running while the copy is extracted.
    const holder = await this.extract(snapshot, row, row.image, fresh);
    const old = workspaceVolumeOf(this.scope, row);
    const running = row.desiredState === 'running';
    const { provisioner, instances, runtime } = this.d;
    try {
      if (running) {
        this.d.cancelWatch(row.id);
        if (!(await instances.transition(row.id, STATUS.actionable, 'stopping'))) throw new BerthError('INVALID_STATE', `instance ${row.name} changed state; try again`);
        await provisioner.stopContainer(row);
      }
      // Container first, then the row: a crash in between recreates the container on the old volume.
      await provisioner.removeContainers(row);
      await instances.update(row.id, { workspaceVolume: fresh, containerId: null });
      await this.bringUp({ ...row, workspaceVolume: fresh, containerId: null, status: running ? 'stopping' : row.status }, running, actor, `workspace restored from snapshot ${snapshot.id}`);
    } catch (error) {
      await this.putBack(row, old, fresh, running, actor, error);
      await runtime.removeContainer(holder).catch(() => undefined);
      await runtime.removeVolume(fresh).catch(() => undefined);
      throw error;
    }
    await runtime.removeContainer(holder).catch(() => undefined);
    // The old workspace goes last; if it cannot yet, the orphan pass removes it.
    await runtime.removeVolume(old).catch((error: unknown) => this.d.logger.warn({ volume: old, reason: describeError(error) }, 'old workspace not removed yet; the reconciler will'));
    await this.d.events.record({
      instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'snapshot-restored', actor,
      message: `workspace restored from snapshot ${snapshot.id} (taken ${snapshot.createdAt})`,
      data: { snapshot: snapshot.id, volume: fresh, previousVolume: old },
    });
  }

  private async bringUp(row: InstanceRecord, running: boolean, actor: string, message: string): Promise<void> {
    if (running) await this.d.provisioner.launch(row, ['stopping'], actor, message);
    else await this.d.provisioner.ensureContainer(row);
  }

  /** After a failed swap: the old volume and a container on it, as before the restore. */
  private async putBack(row: InstanceRecord, old: string, fresh: string, running: boolean, actor: string, cause: unknown): Promise<void> {
    const { provisioner, instances, logger } = this.d;
    try {
      const now = (await instances.get(row.id)) ?? row;
      if (workspaceVolumeOf(this.scope, now) === fresh || now.containerId === null) {
        await provisioner.removeContainers(now);
        await instances.update(row.id, { workspaceVolume: old, containerId: null });
      }
      const back = { ...now, workspaceVolume: old, containerId: null };
      const status = (await instances.get(row.id))?.status ?? row.status;
      if (running) await provisioner.launch({ ...back, status }, [status], actor, `restore failed (${describeError(cause)}); started again on its previous workspace`);
      else await provisioner.ensureContainer(back);
    } catch (error) {
      // The row names the old volume again (or never stopped naming it): the reconciler recreates the container.
      logger.warn({ instance: row.name, container: containerName(this.scope, row.name), reason: describeError(error) }, 'could not bring the instance back after a failed restore; the reconciler will');
    }
  }
}
