import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { WorkspaceRecord, WorkspacesRepo } from '../../store/repositories/workspaces-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { Viewer } from '../instances/instance-types.js';

/** A kept workspace as the API shows it: what the store keeps. */
export type KeptWorkspace = WorkspaceRecord;

export interface WorkspaceServiceDeps {
  repo: WorkspacesRepo;
  runtime: RuntimeDriver;
  gate: { require(): void };
  events: EventLog;
}

/** Kept workspaces: listed per tenant, deleted on request, attached only by id (see InstanceService.create). */
export class WorkspaceService {
  constructor(private readonly d: WorkspaceServiceDeps) {}

  async list(viewer: Viewer, tenant?: string): Promise<{ items: KeptWorkspace[]; total: number }> {
    if (viewer.tenant && tenant && tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `this token may not list tenant ${tenant}`);
    const rows = await this.d.repo.list(viewer.tenant ?? tenant);
    return { items: rows, total: rows.length };
  }

  async get(id: string, viewer: Viewer): Promise<KeptWorkspace> {
    return this.row(id, viewer);
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
    this.d.events.record({
      instanceId: row.instanceId, instance: row.instanceName, tenant: row.tenant, type: 'workspace-deleted', actor,
      message: `kept workspace ${row.id} (volume ${row.volume}) deleted`, data: { workspace: row.id, volume: row.volume },
    });
    return row;
  }

  /** Tenant tokens never learn that another tenant's workspace exists: 404. */
  private async row(id: string, viewer: Viewer): Promise<WorkspaceRecord> {
    const row = await this.d.repo.get(id);
    if (!row || (viewer.tenant && row.tenant !== viewer.tenant)) throw new BerthError('WORKSPACE_NOT_FOUND', `no kept workspace ${id}`);
    return row;
  }
}

