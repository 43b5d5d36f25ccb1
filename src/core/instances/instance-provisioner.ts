import type { Clock } from '../../common/clock.js';
import { BerthError, conflictOn, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { LABELS, scopeFilter } from '../../runtime/labels.js';
import type { ContainerInfo, RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstanceRecord, InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { NetworkManager } from '../networks/network-manager.js';
import type { PlanCatalog } from '../plans/resolve-plans.js';
import type { PortAllocator } from '../ports/port-allocator.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { WorkspacesRepo } from '../../store/repositories/workspaces-repo.js';
import { buildContainerSpec, containerName, workspaceVolumeOf, type RuntimeSettings } from './container-spec.js';
import { ensureWorkspace } from './ensure-workspace.js';
import type { StartWatcher } from './start-watcher.js';
import type { InstanceStatus } from './instance-types.js';

export interface ProvisionerOptions {
  runtime: RuntimeDriver;
  repo: InstancesRepo;
  networks: NetworkManager;
  plans: PlanCatalog;
  settings: RuntimeSettings;
  secrets: SecretBox;
  ports: PortAllocator;
  /** The health judge: probes a just-started container until its first healthy answer. */
  watcher: StartWatcher;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  workspaces: WorkspacesRepo;
}

/** The event a launch records: a start (also a restart on request: the scheduler looks for these), or a container made again. */
export type LaunchEvent = 'started' | 'recreated';

const PORT_TAKEN = /port is already allocated|address already in use/i;
/** Failures that retrying cannot fix: the create is marked failed instead of retried forever. */
const PERMANENT: ReadonlySet<string> = new Set(['IMAGE_NOT_FOUND', 'INVALID_CONFIG', 'PLAN_NOT_FOUND', 'PORTS_EXHAUSTED', 'SUBNETS_EXHAUSTED']);

/**
 * Turns instance rows into containers and back: workspace volume, network, container,
 * start (moving the port when another process took it), stop, and teardown. Every step is
 * idempotent and finds what an earlier, interrupted attempt left, so the reconciler can
 * repeat any of them after a crash. Callers hold the instance's lock.
 */
export class InstanceProvisioner {
  constructor(private readonly o: ProvisionerOptions) {}

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  /** The instance's container: by id, else by name; only if it carries this instance's id. */
  async findContainer(row: InstanceRecord): Promise<ContainerInfo | undefined> {
    if (row.containerId) {
      const info = await this.o.runtime.inspectContainer(row.containerId);
      if (info && info.labels[LABELS.instance] === row.id) return info;
    }
    const name = containerName(this.o.settings.scope, row.name);
    const info = await this.o.runtime.inspectContainer(name);
    if (!info) return undefined;
    if (info.labels[LABELS.instance] === row.id) return info;
    if (info.labels[LABELS.managed] === 'true' && info.labels[LABELS.scope] === this.o.settings.scope) {
      // Left by an earlier instance of the same name that no longer exists: an orphan.
      await this.o.runtime.removeContainer(info.id);
      return undefined;
    }
    throw new BerthError('CONFLICT', `a container named ${name} exists and is not managed by this berth; rename or remove it`);
  }

  /** Finds or creates the container (and its volume and network). Recreates one built for an older port. */
  async ensureContainer(row: InstanceRecord): Promise<ContainerInfo> {
    const ref = await this.ensureContainerRef(row);
    if (ref.info) return ref.info;
    const made = await this.o.runtime.inspectContainer(ref.id);
    if (!made) throw new BerthError('RUNTIME_ERROR', `container of ${row.name} vanished right after it was created`);
    return made;
  }

  /**
   * As ensureContainer, without inspecting a container it has just created (its state is
   * `created`): starting one needs only its id, and the inspect was an engine round trip on
   * every create's critical path.
   */
  private async ensureContainerRef(row: InstanceRecord): Promise<{ id: string; state: string; info?: ContainerInfo }> {
    const existing = await this.findContainer(row);
    if (existing && existing.labels[LABELS.port] === String(row.hostPort)) {
      if (row.containerId !== existing.id) await this.o.repo.update(row.id, { containerId: existing.id });
      return { id: existing.id, state: existing.state, info: existing };
    }
    if (existing) await this.o.runtime.removeContainer(existing.id);
    const plan = this.o.plans.get(row.plan);
    if (!plan) throw new BerthError('INVALID_CONFIG', `plan ${row.plan} of instance ${row.name} is no longer in the config`);
    const secrets = row.secretsSealed ? this.o.secrets.open(row.secretsSealed) : {};
    // Each engine call takes a slot of the daemon's one engine limiter (see limitEngineCalls).
    await ensureWorkspace(this.o.runtime, this.o.settings.scope, row);
    const id = await this.o.networks.use(row.tenant, plan, (network) =>
      this.o.runtime.createContainer(buildContainerSpec(row, plan, network, this.o.settings, secrets)));
    await this.o.repo.update(row.id, { containerId: id });
    return { id, state: 'created' };
  }

  /**
   * A rollout's new container for `row` (its next spec), created beside the running one under
   * the name `<usual>-next` (left over from an interrupted attempt: replaced). Not started.
   */
  async createNext(row: InstanceRecord): Promise<string> {
    const plan = this.o.plans.get(row.plan);
    if (!plan) throw new BerthError('INVALID_CONFIG', `plan ${row.plan} of instance ${row.name} is no longer in the config`);
    const name = `${containerName(this.o.settings.scope, row.name)}-next`;
    const leftover = await this.o.runtime.inspectContainer(name);
    if (leftover) {
      if (leftover.labels[LABELS.instance] !== row.id) throw new BerthError('CONFLICT', `a container named ${name} exists and is not this instance's; remove it`);
      await this.o.runtime.removeContainer(leftover.id);
    }
    const secrets = row.secretsSealed ? this.o.secrets.open(row.secretsSealed) : {};
    await ensureWorkspace(this.o.runtime, this.o.settings.scope, row);
    return this.o.networks.use(row.tenant, plan, (network) =>
      this.o.runtime.createContainer({ ...buildContainerSpec(row, plan, network, this.o.settings, secrets), name }));
  }

  /** Removes a rollout's `-next` container of this instance, if one is left. */
  async removeNext(row: InstanceRecord): Promise<void> {
    const leftover = await this.o.runtime.inspectContainer(`${containerName(this.o.settings.scope, row.name)}-next`);
    if (leftover && leftover.labels[LABELS.instance] === row.id) await this.o.runtime.removeContainer(leftover.id);
  }

  /** After a rollout: the new container takes the instance's usual name (the old one is gone by then). */
  async takeUsualName(row: InstanceRecord, containerId: string): Promise<void> {
    if (!this.o.runtime.renameContainer) return;
    const usual = containerName(this.o.settings.scope, row.name);
    const info = await this.o.runtime.inspectContainer(containerId);
    if (!info || info.name.replace(/^\//, '') === usual) return;
    await this.o.runtime.renameContainer(containerId, usual);
  }

  /**
   * Starts the container, creating it if needed. When the engine says the host port is taken
   * (another process got it after the store handed it out), moves the instance to a new port.
   */
  async startContainer(row: InstanceRecord, actor: string): Promise<InstanceRecord> {
    const avoid = new Set<number>();
    for (let attempt = 0; ; attempt++) {
      const container = await this.ensureContainerRef(row);
      if (container.state === 'running') return row;
      try {
        await this.o.runtime.startContainer(container.id);
        return row;
      } catch (error) {
        if (!PORT_TAKEN.test(describeError(error)) || attempt >= 4) throw error;
        await this.o.runtime.removeContainer(container.id);
        if (row.hostPort !== null) avoid.add(row.hostPort);
        const from = row.hostPort;
        row = await this.reassignPort(row, avoid);
        await this.o.events.record({
          instanceId: row.id, instance: row.name, tenant: row.tenant, type: 'port-reassigned', actor,
          message: `host port ${from} was taken by another process; moved to ${row.hostPort}`, data: { from, to: row.hostPort },
        });
      }
    }
  }

  private async reassignPort(row: InstanceRecord, avoid: Set<number>): Promise<InstanceRecord> {
    for (;;) {
      const port = await this.o.ports.pick(await this.o.repo.usedPorts(), avoid);
      try {
        await this.o.repo.update(row.id, { hostPort: port });
        return { ...row, hostPort: port };
      } catch (error) {
        if (conflictOn(error) !== 'hostPort') throw error;
        avoid.add(port);
      }
    }
  }

  /**
   * Brings the container up and marks the instance `starting` (if its status is one of
   * `onlyIf`), then waits for its first healthy answer in the background. The event is left
   * to the caller when `type` is null (the restart path records its own).
   */
  async launch(row: InstanceRecord, onlyIf: readonly InstanceStatus[], actor: string, message: string, type: LaunchEvent | null = 'started'): Promise<boolean> {
    const started = await this.startContainer(row, actor);
    const moved = await this.o.repo.transition(row.id, onlyIf, 'starting', { startedAt: this.now(), lastError: null });
    // A recreate is history even when the status moved on while it ran (a slow Swarm start
    // lets the monitor see the old one fail meanwhile): the container was remade either way.
    if (type && (moved || type === 'recreated')) {
      await this.o.events.record({ instanceId: row.id, instance: row.name, tenant: row.tenant, type, actor, message, data: { hostPort: started.hostPort } });
    }
    if (moved) this.o.watcher.watch(row.id);
    return moved;
  }

  /** Finishes a create: the row exists in `creating`; the container may or may not. */
  async finishCreate(id: string, actor: string): Promise<void> {
    const row = await this.o.repo.get(id);
    if (!row || row.status !== 'creating') return;
    try {
      if (row.desiredState === 'running') {
        await this.launch(row, ['creating'], actor, 'container created and started');
      } else {
        await this.ensureContainer(row);
        await this.o.repo.transition(id, 'creating', 'stopped');
      }
    } catch (error) {
      const message = describeError(error);
      if (error instanceof BerthError && PERMANENT.has(error.code)) {
        if (await this.o.repo.transition(id, 'creating', 'failed', { lastError: message })) {
          await this.o.events.record({ instanceId: id, instance: row.name, tenant: row.tenant, type: 'create-failed', actor, message });
        }
        return;
      }
      // Transient (engine away, engine busy): stays `creating`; the reconciler retries.
      await this.o.repo.update(id, { lastError: message }, ['creating']).catch(() => undefined);
      throw error;
    }
  }

  async stopContainer(row: InstanceRecord): Promise<void> {
    const container = await this.findContainer(row);
    if (container && container.state !== 'exited' && container.state !== 'created' && container.state !== 'dead') {
      await this.o.runtime.stopContainer(container.id, this.o.settings.stopTimeoutSeconds);
    }
  }

  /** Removes every container carrying this instance's id (normally one). */
  async removeContainers(row: InstanceRecord): Promise<number> {
    const labelled = await this.o.runtime.listContainers({ all: true, labels: { ...scopeFilter(this.o.settings.scope), [LABELS.instance]: row.id } });
    const ids = new Set(labelled.map((c) => c.id));
    const named = await this.findContainer(row);
    if (named) ids.add(named.id);
    for (const cid of ids) await this.o.runtime.removeContainer(cid);
    return ids.size;
  }

  /** Finishes a delete: container, workspace (unless kept), row (which frees the port), then the network. */
  async finishDelete(id: string, actor: string): Promise<void> {
    const row = await this.o.repo.get(id);
    if (!row) return;
    this.o.watcher.cancel(id);
    await this.removeContainers(row);
    const volume = workspaceVolumeOf(this.o.settings.scope, row);
    const kept = await this.o.workspaces.isKept(volume);
    if (!kept) {
      await this.o.runtime.removeVolume(volume).catch((error: unknown) => {
        // Still in use by something outside berth's view: the reconciler's orphan pass retries.
        if (!(error instanceof BerthError && error.code === 'CONFLICT')) throw error;
        this.o.logger.warn({ volume, reason: describeError(error) }, 'workspace volume still in use; left for the next reconcile');
      });
    }
    await this.o.repo.delete(id);
    await this.o.events.record({
      instanceId: id, instance: row.name, tenant: row.tenant, type: 'deleted', actor,
      message: kept ? `deleted; workspace volume ${volume} kept` : 'deleted with its container and workspace',
      data: { hostPort: row.hostPort, keptWorkspace: kept ? volume : null },
    });
    if (row.networkName && this.o.networks.isDedicated(row.networkName)) {
      // The row is gone; a network left behind now is an orphan the reconciler removes.
      await this.o.networks.release(row.tenant, (name) => this.o.repo.countOnNetwork(name))
        .catch((error: unknown) => this.o.logger.warn({ network: row.networkName, reason: describeError(error) }, 'could not remove the tenant network yet'));
    }
  }
}
