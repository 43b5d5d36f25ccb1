import type { Clock } from '../../common/clock.js';
import { BerthError, conflictOn, describeError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstanceFilter, InstancePatch, InstanceRecord, InstancesRepo, NewInstance } from '../../store/repositories/instances-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { NetworkManager } from '../networks/network-manager.js';
import { requirePlan } from '../plans/resolve-plans.js';
import type { PortAllocator } from '../ports/port-allocator.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { InstanceAdmission, TenantHoldings } from '../../store/repositories/instance-admission.js';
import type { WorkspaceRecord, WorkspacesRepo } from '../../store/repositories/workspaces-repo.js';
import type { SeededWorkspace, WorkspaceSeeder } from '../snapshots/snapshot-restore.js';
import { workspaceVolumeFor, workspaceVolumeOf } from './container-spec.js';
import type { StartWatcher } from './start-watcher.js';
import type { InstanceProvisioner } from './instance-provisioner.js';
import { normalizeSpec, specHash, type SpecDefaults } from './instance-spec.js';
import { STATUS, type InstanceStatus } from '../../common/instance-status.js';
import { SYSTEM_VIEWER, type CreateInstanceInput, type Instance, type InstanceBrief, type Viewer } from './instance-types.js';
import { toInstance, toInstanceBrief } from './instance-view.js';
import type { InstanceLock } from './instance-locks.js';
import type { RestartPath } from './restart-path.js';

/** What the service needs from the runtime status tracker: a 503 gate and failure reports. */
export interface RuntimeGate {
  require(): void;
  report(error: unknown): void;
}

export interface InstanceServiceOptions {
  repo: InstancesRepo;
  provisioner: InstanceProvisioner;
  watcher: StartWatcher;
  networks: NetworkManager;
  ports: PortAllocator;
  secrets: SecretBox;
  runtime: RuntimeDriver;
  gate: RuntimeGate;
  events: EventLog;
  /** Per-instance lock (in-process, plus the store's across processes on Postgres). */
  lock: InstanceLock;
  /** The one restart path (shared with the monitor). */
  restarts: RestartPath;
  clock: Clock;
  logger: Logger;
  spec: SpecDefaults;
  scope: string;
  bindAddress: string;
  /** Inserts rows atomically with the tenant's admission and a kept workspace's claim. */
  admission: InstanceAdmission;
  workspaces: WorkspacesRepo;
  /**
   * The tenant's quota: `prepare` loads the limits before the transaction and returns the check
   * run inside it (synchronous: on SQLite nothing else may touch the store meanwhile).
   */
  quota?: { prepare(tenant: string, plan: string): Promise<(holdings: TenantHoldings) => void> };
  /** Fills a new instance's workspace from a snapshot (workspace.fromSnapshot) before its row exists. */
  seeder?: WorkspaceSeeder;
}

export type InstanceAction = 'start' | 'stop' | 'restart';

const GAVE_UP: readonly InstanceStatus[] = STATUS.gaveUp;
const TERMINAL_FOR_WAIT: readonly InstanceStatus[] = STATUS.settled;

/**
 * The instance lifecycle as the API sees it. Writes intent to the store and returns; the
 * provisioner does the runtime work (in the background for creates), the reconciler
 * repairs whatever an interruption left.
 */
export class InstanceService {
  /** Background creates still running: shutdown waits for them, so none outlives the daemon. */
  private readonly background = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: InstanceServiceOptions) {}

  /** Daemon shutdown: no new creates are finished in the background; running ones are awaited. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.background]);
  }

  private view(row: InstanceRecord): Instance {
    return this.placed(toInstance(row, this.o.bindAddress), row.containerId);
  }

  /** On a cluster: the node running it, and its URL at that node's address. */
  private placed<T extends { node?: string | null; url: string | null; hostPort: number | null }>(view: T, containerId: string | null): T {
    if (containerId && this.o.runtime.nodeOf) {
      view.node = this.o.runtime.nodeOf(containerId) ?? null;
      const address = this.o.runtime.probeAddress?.(containerId);
      if (address && view.hostPort) view.url = `http://${address}:${view.hostPort}`;
    }
    return view;
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  /** Creates an instance, or returns the existing one when the same name has the same spec. */
  async create(input: CreateInstanceInput, actor: string, viewer: Viewer): Promise<{ instance: Instance; created: boolean }> {
    const spec = normalizeSpec(input, this.o.spec);
    if (viewer.tenant && viewer.tenant !== spec.tenant) throw new BerthError('FORBIDDEN', `this token may not create instances for tenant ${spec.tenant}`);
    const hash = specHash(spec, this.o.secrets.digest(spec.secrets));
    const existing = await this.o.repo.findByName(spec.name);
    if (existing) return { instance: this.sameOrConflict(existing, hash, viewer), created: false };

    this.o.gate.require();
    const imageExists = await this.runtime(() => this.o.runtime.imageExists(spec.image));
    if (!imageExists) {
      throw new BerthError('IMAGE_NOT_FOUND', `image: ${spec.image} is not present on the container engine; berth does not pull or build images implicitly (build or load it on the host first)`, { field: 'image' });
    }
    const plan = requirePlan(this.o.spec.plans, spec.plan);
    // On a cluster, a placement no node can satisfy is refused before anything is made.
    if (this.o.runtime.checkPlacement) await this.runtime(() => this.o.runtime.checkPlacement!(plan.constraints ?? []));
    const { from, fromSnapshot } = input.workspace ?? {};
    if (from !== undefined && fromSnapshot !== undefined) throw BerthError.invalid('workspace', 'give either from (a kept workspace) or fromSnapshot, not both');
    const kept = from !== undefined ? await this.keptWorkspaceFor(from, spec.tenant, viewer) : undefined;
    if (fromSnapshot !== undefined && !this.o.seeder) throw BerthError.invalid('workspace.fromSnapshot', 'snapshots are not available on this berth');
    const snapshot = fromSnapshot !== undefined ? await this.o.seeder!.check(fromSnapshot, spec.tenant, viewer) : undefined;
    const at = this.now();
    const secretNames = Object.keys(spec.secrets).sort();
    const id = newId('ins_', this.o.clock.now());
    // Named by the id, so no later instance of the same name can ever mount it.
    const workspaceVolume = kept?.volume ?? workspaceVolumeFor(this.o.scope, id);
    const base: Omit<NewInstance, 'hostPort'> = {
      id,
      name: spec.name,
      tenant: spec.tenant,
      plan: spec.plan,
      image: spec.image,
      command: spec.command,
      env: spec.env,
      secretsSealed: secretNames.length ? this.o.secrets.seal(spec.secrets) : null,
      secretNames,
      containerPort: spec.port,
      health: spec.health,
      scanDir: spec.scanDir ?? null,
      specHash: hash,
      desiredState: 'running',
      status: 'creating',
      networkName: this.o.networks.nameFor(spec.tenant, plan),
      workspaceVolume,
      createdAt: at,
      updatedAt: at,
    };
    const check = await this.o.quota?.prepare(spec.tenant, spec.plan);
    // The copy is in its volume before the row exists: a crash leaves an orphan volume, never a half-filled workspace.
    const seeded: SeededWorkspace | undefined = snapshot
      ? await this.runtime(() => this.o.seeder!.seed(snapshot, { id, name: spec.name, tenant: spec.tenant, image: spec.image, volume: workspaceVolume }))
      : undefined;
    let row: InstanceRecord | undefined;
    try {
      const made = await this.insertRow(base, check, kept, spec, hash, viewer);
      if ('existing' in made) {
        await seeded?.discard();
        return { instance: made.existing, created: false };
      }
      row = made.row;
    } catch (error) {
      await seeded?.discard();
      throw error;
    }
    await seeded?.keep();
    await this.o.events.record({
      instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'created', actor,
      message: `created on plan ${row.plan} with image ${row.image}, host port ${row.hostPort}${snapshot ? `, workspace from snapshot ${snapshot.id}` : ''}`,
      data: { plan: row.plan, image: row.image, hostPort: row.hostPort, secretNames, ...(kept ? { workspace: kept.id } : {}), ...(snapshot ? { snapshot: snapshot.id } : {}) },
    });
    this.provisionInBackground(row.id, actor);
    return { instance: this.view(row), created: true };
  }

  /** Inserts the row on a free port; an instance of that name that won a race is returned instead. */
  private async insertRow(
    base: Omit<NewInstance, 'hostPort'>,
    check: ((holdings: TenantHoldings) => void) | undefined, kept: WorkspaceRecord | undefined, spec: { name: string }, hash: string, viewer: Viewer,
  ): Promise<{ row: InstanceRecord } | { existing: Instance }> {
    const avoid = new Set<number>();
    let row: InstanceRecord | undefined;
    while (!row) {
      const port = await this.o.ports.pick(await this.o.repo.usedPorts(), avoid);
      try {
        await this.o.admission.insert({ ...base, hostPort: port }, {
          ...(check ? { check } : {}),
          ...(kept ? { attachWorkspace: { id: kept.id, tenant: kept.tenant }, workspaceGone: () => new BerthError('WORKSPACE_NOT_FOUND', `workspace.from: workspace ${kept.id} was attached or deleted meanwhile`, { field: 'workspace.from' }) } : {}),
        });
        row = (await this.o.repo.get(base.id))!;
      } catch (error) {
        const column = conflictOn(error);
        if (column === 'hostPort') {
          avoid.add(port);
          continue;
        }
        if (column === 'name') {
          // Lost a race with an identical (or conflicting) create of the same name.
          const winner = await this.o.repo.findByName(spec.name);
          if (winner) return { existing: this.sameOrConflict(winner, hash, viewer) };
          continue;
        }
        throw error;
      }
    }
    return { row };
  }

  /** A kept workspace the caller may attach to a new instance of `tenant`; refused otherwise, before anything is made. */
  private async keptWorkspaceFor(id: string, tenant: string, viewer: Viewer): Promise<WorkspaceRecord> {
    const found = await this.o.workspaces.get(id);
    // A tenant token never learns that another tenant's workspace exists.
    if (!found || (viewer.tenant && found.tenant !== viewer.tenant)) {
      throw new BerthError('WORKSPACE_NOT_FOUND', `workspace.from: no kept workspace ${id}`, { field: 'workspace.from' });
    }
    // Legacy workspaces of unknown tenant (tenant null) may be attached by an admin only.
    if (found.tenant !== null && found.tenant !== tenant) {
      throw new BerthError('FORBIDDEN', `workspace.from: workspace ${id} belongs to another tenant than ${tenant}`, { field: 'workspace.from' });
    }
    return found;
  }

  private sameOrConflict(existing: InstanceRecord, hash: string, viewer: Viewer): Instance {
    if (viewer.tenant && existing.tenant !== viewer.tenant) {
      throw new BerthError('INSTANCE_CONFLICT', `name: an instance named ${existing.name} already exists; choose another name`, { field: 'name' });
    }
    if (existing.status === 'deleting') {
      throw new BerthError('INVALID_STATE', `instance ${existing.name} is being deleted; create it again once it is gone`, { field: 'name' });
    }
    if (existing.specHash !== hash) {
      throw new BerthError('INSTANCE_CONFLICT', `name: an instance named ${existing.name} already exists with a different spec; delete it first or choose another name`, { field: 'name' });
    }
    return this.view(existing);
  }

  private provisionInBackground(id: string, actor: string): void {
    // After stop the row stays `creating`; the next boot's reconcile finishes it.
    if (this.stopped) return;
    const work = this.o.lock.run(id, () => this.o.provisioner.finishCreate(id, actor)).catch((error: unknown) => {
      this.o.gate.report(error);
      this.o.logger.warn({ instance: id, reason: describeError(error) }, 'create not finished yet; the reconciler will retry');
    });
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  async get(idOrName: string, viewer: Viewer): Promise<Instance> {
    return this.view(await this.find(idOrName, viewer));
  }

  /** One page in creation order; `more` says whether rows follow it (one extra row is read to know). */
  async list(filter: Partial<InstanceFilter>, viewer: Viewer): Promise<{ items: Instance[]; total: number; more: boolean }> {
    const { query, limit } = this.pageOf(filter, viewer);
    const { rows, total } = await this.o.repo.list(query);
    return { items: rows.slice(0, limit).map((r) => this.view(r)), total, more: rows.length > limit };
  }

  /** The same page as `list`, each instance as a fleet table shows it (read from only those columns). */
  async listBrief(filter: Partial<InstanceFilter>, viewer: Viewer): Promise<{ items: InstanceBrief[]; total: number; more: boolean }> {
    const { query, limit } = this.pageOf(filter, viewer);
    const { rows, total } = await this.o.repo.listSummary(query);
    return { items: rows.slice(0, limit).map((r) => this.placed(toInstanceBrief(r, this.o.bindAddress), r.containerId)), total, more: rows.length > limit };
  }

  /** A tenant token lists its own tenant only; one row past the page says whether more follow. */
  private pageOf(filter: Partial<InstanceFilter>, viewer: Viewer): { query: InstanceFilter; limit: number } {
    if (viewer.tenant && filter.tenant && filter.tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `this token may not list tenant ${filter.tenant}`);
    const limit = filter.limit ?? 100;
    return { query: { ...filter, ...(viewer.tenant ? { tenant: viewer.tenant } : {}), limit: limit + 1, offset: filter.offset ?? 0 }, limit };
  }

  /**
   * Deletes the container, the workspace (unless kept) and the row, which frees the port.
   * `done` is false when the engine failed midway: the instance stays `deleting` and the
   * reconciler finishes it.
   */
  async delete(idOrName: string, options: { keepData: boolean }, actor: string, viewer: Viewer, reason?: string): Promise<{ instance: Instance; done: boolean }> {
    const row = await this.find(idOrName, viewer);
    this.o.gate.require();
    const volume = workspaceVolumeOf(this.o.scope, row);
    if (options.keepData) {
      await this.o.workspaces.keep({ id: newId('wks_', this.o.clock.now()), volume, tenant: row.tenant, instanceId: row.id, instanceName: row.name, keptAt: this.now() });
    } else {
      await this.o.workspaces.unkeepVolume(volume);
    }
    if (await this.o.repo.transition(row.id, STATUS.deletable, 'deleting')) {
      await this.o.events.record({
        instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'deleting', actor,
        message: reason ?? (options.keepData ? 'delete requested; keeping the workspace' : 'delete requested'),
      });
    }
    this.o.watcher.cancel(row.id);
    const deleting = { ...row, status: 'deleting' as const };
    try {
      await this.o.lock.run(row.id, () => this.o.provisioner.finishDelete(row.id, actor));
      return { instance: this.view(deleting), done: true };
    } catch (error) {
      this.o.gate.report(error);
      // Another process acting on it (INSTANCE_BUSY): the row is `deleting`; the leader's reconciler finishes it.
      if (!(error instanceof BerthError) || !['RUNTIME_UNAVAILABLE', 'RUNTIME_ERROR', 'INSTANCE_BUSY'].includes(error.code)) throw error;
      return { instance: this.view({ ...deleting, lastError: describeError(error) }), done: false };
    }
  }

  start(idOrName: string, actor: string, viewer: Viewer, reason?: string): Promise<Instance> {
    return this.act(idOrName, 'start', actor, viewer, reason);
  }

  stop(idOrName: string, actor: string, viewer: Viewer, reason?: string): Promise<Instance> {
    return this.act(idOrName, 'stop', actor, viewer, reason);
  }

  restart(idOrName: string, actor: string, viewer: Viewer, reason?: string): Promise<Instance> {
    return this.act(idOrName, 'restart', actor, viewer, reason);
  }

  /**
   * Restart without a caller's tenant check, for the scheduler's `restart` job action and exit
   * policies. Unlike the API action it never starts an instance someone stopped.
   */
  async restartContainer(idOrName: string, actor: string, reason?: string): Promise<Instance> {
    const row = await this.find(idOrName, SYSTEM_VIEWER);
    if (row.desiredState === 'stopped') throw new BerthError('INVALID_STATE', `instance ${row.name} is stopped; start it first`);
    return this.act(row.id, 'restart', actor, SYSTEM_VIEWER, reason);
  }

  async act(idOrName: string, action: InstanceAction, actor: string, viewer: Viewer, reason?: string): Promise<Instance> {
    const found = await this.find(idOrName, viewer);
    this.o.gate.require();
    // A rollout holds the lock until its health gate ends: answer now rather than wait for it.
    if (found.status === 'upgrading') throw new BerthError('INVALID_STATE', `instance ${found.name} is upgrading; try again when the rollout is done`);
    await this.runtime(() => this.o.lock.run(found.id, async () => {
      const row = await this.o.repo.get(found.id);
      if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `no instance ${idOrName}`);
      if (STATUS.busy.includes(row.status)) {
        throw new BerthError('INVALID_STATE', `instance ${row.name} is ${row.status}; try again when it is done`);
      }
      const reset: InstancePatch = GAVE_UP.includes(row.status)
        ? { consecutiveFailures: 0, backoffMs: 0, nextRestartAt: null, clearRestartHistory: true }
        : {};
      if (action === 'stop') {
        this.o.watcher.cancel(row.id);
        if (!(await this.o.repo.transition(row.id, STATUS.actionable, 'stopping', { desiredState: 'stopped' }))) throw this.movedOn(row.name);
        await this.o.provisioner.stopContainer(row);
        if (await this.o.repo.transition(row.id, 'stopping', 'stopped')) {
          await this.o.events.record({ instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'stopped', actor, message: reason ?? 'stopped on request' });
        }
        return;
      }
      if (action === 'restart') {
        this.o.watcher.cancel(row.id);
        // `stopping` first, and the restart path's span: whoever watches exits sees this stop as intended, not as a crash.
        if (!(await this.o.repo.transition(row.id, STATUS.actionable, 'stopping', { desiredState: 'running', ...reset }))) throw this.movedOn(row.name);
        const message = reason ?? 'restarted on request';
        await this.o.restarts.restart({ instanceId: row.id, instance: row.name, tenant: row.tenant, containerId: row.containerId, cause: 'requested', actor }, {
          engine: () => this.o.provisioner.stopContainer(row),
          commit: async () => ((await this.o.provisioner.launch(row, ['stopping'], actor, message, null)) ? { message } : null),
        });
        return;
      }
      await this.o.repo.update(row.id, { desiredState: 'running', ...reset });
      const container = await this.o.provisioner.findContainer(row);
      if (container?.state === 'running' && STATUS.expectedUp.includes(row.status)) return;
      await this.o.provisioner.launch(row, STATUS.actionable, actor, reason ?? 'started on request');
    }));
    return this.get(found.id, viewer);
  }

  /**
   * Waits until the instance is running, has given up (failed, crashloop), was stopped, or
   * the timeout passes; returns it as it then is.
   */
  async waitFor(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Instance> {
    const until = this.o.clock.now() + timeoutMs;
    let wake: (() => void) | undefined;
    // An event of this instance (running, failed, stopped…) is recorded after its status
    // changed: look again at once. The poll covers changes made by another berth process.
    const unsubscribe = this.o.events.subscribe((e) => {
      if (e.instanceId === id) wake?.();
    });
    try {
      for (;;) {
        const row = await this.o.repo.get(id);
        if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `instance ${id} was deleted while waiting`);
        if (TERMINAL_FOR_WAIT.includes(row.status) || this.o.clock.now() >= until || signal?.aborted) return this.view(row);
        await new Promise<void>((resolve) => {
          const timer = this.o.clock.setTimeout(() => wake?.(), 200);
          wake = () => {
            wake = undefined;
            this.o.clock.clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unsubscribe();
    }
  }

  /** The instance's container id, for logs and stats (503 without an engine, 409 without a container). */
  async containerOf(idOrName: string, viewer: Viewer): Promise<{ instance: Instance; containerId: string }> {
    const row = await this.find(idOrName, viewer);
    this.o.gate.require();
    const container = await this.runtime(() => this.o.provisioner.findContainer(row));
    if (!container) throw new BerthError('INVALID_STATE', `instance ${row.name} has no container right now (status ${row.status})`);
    return { instance: this.view(row), containerId: container.id };
  }

  /** The row, if the viewer may see it; otherwise INSTANCE_NOT_FOUND (a tenant never learns of others). */
  async find(idOrName: string, viewer: Viewer): Promise<InstanceRecord> {
    const row = await this.o.repo.findByIdOrName(idOrName);
    if (!row || (viewer.tenant && row.tenant !== viewer.tenant)) throw new BerthError('INSTANCE_NOT_FOUND', `no instance ${idOrName}`);
    return row;
  }

  /** A delete started while this action waited for the instance's lock. */
  private movedOn(name: string): BerthError {
    return new BerthError('INVALID_STATE', `instance ${name} is being deleted; try again when it is done`);
  }

  /** Runs engine work, flipping the runtime status at once when the engine turns out to be away. */
  private async runtime<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.o.gate.report(error);
      throw error;
    }
  }
}
