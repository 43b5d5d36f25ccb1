import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { WorkspaceRecord, WorkspacesRepo } from '../../store/repositories/workspaces-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { Viewer } from '../instances/instance-types.js';
import type { MeasuredSizes, WorkspaceSizes } from './workspace-sizes.js';

/** A kept workspace as the API shows it: what the store keeps, with its size from the engine's last disk-usage walk. */
export type KeptWorkspace = WorkspaceRecord & {
  /** Bytes in the volume; null when not measured (yet). */
  sizeBytes: number | null;
  /** When that walk finished; null with no measurement. */
  sizeMeasuredAt: string | null;
};

export interface WorkspaceServiceDeps {
  repo: WorkspacesRepo;
  runtime: RuntimeDriver;
  gate: { require(): void };
  events: EventLog;
  /** Volume sizes, cached (see WorkspaceSizes); absent: sizes are null. */
  sizes?: WorkspaceSizes;
}

/** Kept workspaces: listed per tenant, deleted on request, attached only by id (see InstanceService.create). */
export class WorkspaceService {
  constructor(private readonly d: WorkspaceServiceDeps) {}

  async list(viewer: Viewer, tenant?: string): Promise<{ items: KeptWorkspace[]; total: number }> {
    if (viewer.tenant && tenant && tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `this token may not list tenant ${tenant}`);
    const rows = await this.d.repo.list(viewer.tenant ?? tenant);
    const sized = rows.length ? await this.measured() : undefined;
    return { items: rows.map((r) => toWorkspace(r, sized)), total: rows.length };
  }

  async get(id: string, viewer: Viewer): Promise<KeptWorkspace> {
    const row = await this.row(id, viewer);
    return toWorkspace(row, await this.measured());
  }

  /** Sizes are extra: a failed or slow measurement leaves them null, never fails the listing. */
  private async measured(): Promise<MeasuredSizes | undefined> {
    return this.d.sizes?.get().catch(() => undefined);
  }

  /** Removes the volume and its record; the data is gone. 409 while something still mounts it. */
  async delete(id: string, viewer: Viewer, actor: string): Promise<KeptWorkspace> {
    const row = await this.row(id, viewer);
    this.d.gate.require();
    // Claim the record first, so a concurrent attach cannot get a volume being removed.
    if (!(await this.d.repo.delete(row.id))) throw new BerthError('WORKSPACE_NOT_FOUND', `no kept workspace ${id}`);
    try {
      await this.d.runtime.removeVolume(row.volume);
    } catch (error) {
      await this.d.repo.keep(row);
      throw error;
    }
    await this.d.events.record({
      instanceId: row.instanceId, instance: row.instanceName, tenant: row.tenant, type: 'workspace-deleted', actor,
      message: `kept workspace ${row.id} (volume ${row.volume}) deleted`, data: { workspace: row.id, volume: row.volume },
    });
    return toWorkspace(row);
  }

  /** Tenant tokens never learn that another tenant's workspace exists: 404. */
  private async row(id: string, viewer: Viewer): Promise<WorkspaceRecord> {
    const row = await this.d.repo.get(id);
    if (!row || (viewer.tenant && row.tenant !== viewer.tenant)) throw new BerthError('WORKSPACE_NOT_FOUND', `no kept workspace ${id}`);
    return row;
  }
}

function toWorkspace(row: WorkspaceRecord, sized?: MeasuredSizes): KeptWorkspace {
  const size = sized?.sizes.get(row.volume);
  return {
    ...row,
    sizeBytes: size ?? null,
    sizeMeasuredAt: size === undefined || size === null || !sized ? null : new Date(sized.at).toISOString(),
  };
}
