import type Docker from 'dockerode';
import { BerthError } from '../../common/errors.js';
import type {
  ContainerInfo, ContainerSpec, ContainerStats, StatsOptions, ExecResult, LogLine, LogOptions, NetworkInfo, NetworkSpec,
  RuntimeDriver, RuntimeEvent, RuntimeInfo, VolumeInfo,
} from '../runtime-driver.js';
import { engineError } from '../docker/docker-connection.js';
import { DockerDriver } from '../docker/docker-driver.js';
import { LABELS } from '../labels.js';
import { AMBIGUOUS_NETWORK, settleDuplicateNetworks } from '../docker/settle-duplicate-networks.js';
import { ClusterView } from './cluster-view.js';
import { pollTaskEvents } from './swarm-events.js';
import { secretName, serviceSpec, type PublishMode, type SwarmSecretRef } from './swarm-specs.js';
import { currentTask, nodeCanRun, nodeMatches, parseConstraints, ranAndEnded, replicasOf, taskProblem } from './swarm-state.js';
import type { RawService, RawTask } from './swarm-types.js';
import { serviceLogs } from './service-logs.js';
import { SwarmNodes } from './swarm-nodes.js';
import type { WorkspacePins } from '../workspace-pins.js';
import { WorkspacePinner, withPin, workspaceOfService } from './workspace-pin.js';

export interface SwarmOptions {
  publishMode: PublishMode;
  /** Node hostname → a DockerDriver on that node's engine (exec, stats, volumes). */
  nodeEngines: Map<string, DockerDriver>;
  /** The same engines as raw clients (image ids). */
  nodeClients: Map<string, Docker>;
  /** How long start/restart wait for the task to run before saying why it does not. */
  startTimeoutMs: number;
  /** Tenant overlays carry their traffic between nodes in IPsec (Swarm's `encrypted` option). */
  encryptNetworks?: boolean;
  /** Where workspace volumes live: given, each instance is kept on its workspace's node. */
  pins?: WorkspacePins;
  pollMs?: number;
}

/** The image as the instance named it (the spec runs it by id). */
const IMAGE_LABEL = 'berth.image-ref';
const ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Docker Swarm behind berth's runtime port. An instance's "container" is a service with one
 * replica; its id is the service id. Start/stop scale it 1/0, restart forces an update (a new
 * task, possibly on another node). Exec, stats and volumes go to the engine of the node that
 * runs the task (`swarm.nodeEngines`).
 */
export class SwarmDriver implements RuntimeDriver {
  readonly name = 'swarm' as const;
  /** A workspace volume is made on the node that runs the task, from the service's mount. */
  readonly lazyVolumes = true;
  /** An overlay has no `icc` switch: tenants are kept apart by one overlay each. */
  readonly networkPerTenant = true;
  readonly view: ClusterView;
  /** Nodes: list, drain/activate, load an image (GET/POST /v1/nodes, `berth nodes`). */
  readonly nodes: SwarmNodes;
  private readonly volumeLabels = new Map<string, Record<string, string>>();
  private readonly pinner: WorkspacePinner;

  constructor(private readonly docker: Docker, private readonly host: string, private readonly streams: Docker, private readonly o: SwarmOptions) {
    this.view = new ClusterView(docker, host, o.publishMode);
    this.nodes = new SwarmNodes(docker, host, this.view, o.nodeClients, o.nodeEngines);
    this.pinner = new WorkspacePinner(this.view, o.pins);
  }

  private fail(error: unknown, what?: string): never {
    throw engineError(error, this.host, what);
  }

  async ping(): Promise<RuntimeInfo> {
    let info: { Swarm?: { ControlAvailable?: boolean; LocalNodeState?: string } };
    let version: { Version: string; ApiVersion: string };
    try {
      [info, version] = await Promise.all([this.docker.info() as Promise<typeof info>, this.docker.version()]);
    } catch (error) {
      this.fail(error);
    }
    if (!info.Swarm?.ControlAvailable) {
      throw new BerthError('RUNTIME_UNAVAILABLE', `the engine at ${this.host} is not a Swarm manager (swarm state: ${info.Swarm?.LocalNodeState ?? 'unknown'}); run \`docker swarm init\` there or point docker.host at a manager`);
    }
    return { engine: 'swarm', version: version.Version, apiVersion: version.ApiVersion };
  }

  /** No registry: an image counts as present when a node berth can reach has it. */
  async imageExists(image: string): Promise<boolean> {
    const engines = [...this.o.nodeEngines.values()];
    if (engines.length === 0) return new DockerDriver(this.docker, this.host).imageExists(image);
    const found = await Promise.all(engines.map((e) => e.imageExists(image).catch(() => false)));
    return found.some(Boolean);
  }

  probeAddress(containerId: string): string | undefined {
    return this.view.addressOf(containerId);
  }

  nodeOf(containerId: string): string | undefined {
    return this.view.placementOf(containerId)?.hostname;
  }

  async createContainer(given: ContainerSpec): Promise<string> {
    // A recreated service goes back to the node that holds its workspace.
    const pin = await this.pinner.nodeFor(given.volumes[0]?.name);
    const spec = pin ? { ...given, placement: { constraints: withPin(given.placement?.constraints ?? [], pin) } } : given;
    await this.checkPlacement(spec.placement?.constraints ?? []);
    const secrets = await this.ensureSecrets(spec);
    const volumeLabels = this.volumeLabels.get(spec.volumes[0]?.name ?? '') ?? {};
    const imageId = await this.imageId(spec.image);
    try {
      const made = (await this.docker.createService(serviceSpec({ ...spec, image: imageId, labels: { ...spec.labels, [IMAGE_LABEL]: spec.image } }, secrets, this.o.publishMode, volumeLabels) as unknown as Docker.CreateServiceOptions)) as unknown as { id?: string; ID?: string };
      return made.id ?? made.ID ?? '';
    } catch (error) {
      this.fail(error, 'service');
    }
  }

  /**
   * The image's id on the nodes. A service names its image by id: a node then uses its local
   * copy without asking a registry (by tag, every task start first tries a pull, which without
   * a registry costs ~20 s), and every node runs the very same image.
   */
  private async imageId(image: string): Promise<string> {
    if (/^sha256:[0-9a-f]{64}$/.test(image)) return image;
    const clients = this.o.nodeClients.size ? [...this.o.nodeClients.values()] : [this.docker];
    for (const client of clients) {
      const id = await client.getImage(image).inspect().then((i) => i.Id, () => undefined);
      if (id) return id;
    }
    throw new BerthError('IMAGE_NOT_FOUND', `image ${image} is on no node berth can reach; load it with \`berth nodes load-image ${image}\` (berth never pulls implicitly)`);
  }

  /** A placement no ready, active node satisfies is refused before any service is made. */
  async checkPlacement(constraints: string[]): Promise<void> {
    const parsed = parseConstraints(constraints);
    const nodes = (await this.view.nodes()).filter(nodeCanRun);
    if (nodes.some((n) => nodeMatches(n, parsed))) return;
    throw new BerthError('PLACEMENT_UNSATISFIABLE', constraints.length
      ? `no ready, active node satisfies the placement ${constraints.join(', ')} (${nodes.length} nodes can run tasks)`
      : 'no ready, active node can run tasks in this swarm', { details: { constraints } });
  }

  private async ensureSecrets(spec: ContainerSpec): Promise<SwarmSecretRef[]> {
    const refs: SwarmSecretRef[] = [];
    for (const key of spec.secretKeys ?? []) {
      const value = spec.env[key];
      if (value === undefined) continue;
      const name = secretName(spec, key, value);
      try {
        const existing = (await this.docker.listSecrets({ filters: { name: [name] } })) as Array<{ ID: string; Spec: { Name: string } }>;
        const found = existing.find((s) => s.Spec.Name === name);
        const id = found?.ID ?? ((await this.docker.createSecret({ Name: name, Labels: spec.labels, Data: Buffer.from(value).toString('base64') })) as { id: string }).id;
        refs.push({ id, name, key });
      } catch (error) {
        this.fail(error, 'secret');
      }
    }
    return refs;
  }

  private async service(id: string): Promise<RawService | undefined> {
    try {
      return (await this.docker.getService(id).inspect()) as RawService;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      this.fail(error, 'service');
    }
  }

  private async mustService(id: string): Promise<RawService> {
    const s = await this.service(id);
    if (!s) throw new BerthError('CONTAINER_NOT_FOUND', `no such service: ${id}`);
    return s;
  }

  private async update(s: RawService, change: (spec: RawService['Spec']) => void): Promise<void> {
    const spec = structuredClone(s.Spec);
    change(spec);
    try {
      await this.docker.getService(s.ID).update({ version: s.Version.Index, ...spec } as unknown as Record<string, unknown>);
    } catch (error) {
      this.fail(error, 'service');
    }
  }

  async startContainer(id: string): Promise<void> {
    const s = await this.mustService(id);
    const before = currentTask(await this.view.tasks([s.ID]));
    if (replicasOf(s) === 1 && before && before.DesiredState === 'running' && !ENDED.has(before.Status.State) && this.view.nodeReady(before.NodeID)) {
      await this.pinner.placed(workspaceOfService(s), await this.waitRunning(s.ID));
      return;
    }
    // With restart policy none Swarm makes no task on a plain 0 → 1 scale, nor for a slot
    // whose task ended: a forced update (a new task template version) always makes one.
    await this.newTask(s, before);
  }

  /** A forced update: one replica, a new task, on the workspace's node when it has one. */
  private async newTask(s: RawService, before: RawTask | undefined): Promise<void> {
    const volume = workspaceOfService(s);
    const pin = await this.pinner.nodeFor(volume, before);
    await this.update(s, (spec) => {
      spec.Mode = { Replicated: { Replicas: 1 } };
      spec.TaskTemplate.ForceUpdate = (s.Spec.TaskTemplate.ForceUpdate ?? 0) + 1;
      // Pinned in the same update that makes the new task: no extra task for the pin.
      if (pin) spec.TaskTemplate.Placement = { ...spec.TaskTemplate.Placement, Constraints: withPin(spec.TaskTemplate.Placement?.Constraints ?? [], pin) };
    });
    await this.pinner.placed(volume, await this.waitRunning(s.ID, before?.ID));
  }

  /** Waits for a task other than `previous` (any task when undefined) to run; says why when it does not. */
  private async waitRunning(serviceId: string, previous?: string): Promise<RawTask> {
    const deadline = Date.now() + this.o.startTimeoutMs;
    let problem: string | null = null;
    while (Date.now() < deadline) {
      const task = currentTask(await this.view.tasks([serviceId]));
      if (task && task.ID !== previous) {
        // A task that ran and already ended (a crash 200 ms after start, between two polls)
        // did start: the start succeeded, and its exit is a failure of its own (seen by the monitor).
        if (task.Status.State === 'running' || ranAndEnded(task)) {
          await this.view.refresh();
          return task;
        }
        problem = taskProblem(task) ?? problem;
        if (ENDED.has(task.Status.State)) {
          if (/no such image|image .* not found/i.test(problem ?? '')) {
            throw new BerthError('IMAGE_NOT_FOUND', `the node could not find the image: ${problem}; load it there with \`berth nodes load-image\``);
          }
          throw new BerthError('RUNTIME_ERROR', `the task did not start: ${problem ?? task.Status.State}`);
        }
      }
      await sleep(this.o.pollMs ?? 500);
    }
    throw new BerthError('TIMEOUT', `the service's task is not running after ${Math.round(this.o.startTimeoutMs / 1000)}s${problem ? `: ${problem}` : ''}`);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const s = await this.mustService(id);
    if (replicasOf(s) !== 0) await this.update(s, (spec) => { spec.Mode = { Replicated: { Replicas: 0 } }; });
    const deadline = Date.now() + (timeoutSeconds + 30) * 1000;
    while (Date.now() < deadline) {
      const tasks = await this.view.tasks([s.ID]);
      if (!tasks.some((t) => t.Status.State === 'running' && this.view.nodeReady(t.NodeID))) {
        await this.view.refresh();
        return;
      }
      await sleep(this.o.pollMs ?? 500);
    }
    throw new BerthError('TIMEOUT', `service ${s.Spec.Name} still has a running task after ${timeoutSeconds + 30}s`);
  }

  async restartContainer(id: string, _timeoutSeconds: number): Promise<void> {
    const s = await this.mustService(id);
    await this.newTask(s, currentTask(await this.view.tasks([s.ID])));
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    const { engine, containerId } = await this.onNode(id);
    await engine.killContainer(containerId, signal);
  }

  async removeContainer(id: string): Promise<void> {
    const s = await this.service(id);
    if (!s) return;
    try {
      await this.docker.getService(s.ID).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) this.fail(error, 'service');
    }
    // Its secrets, once no service refers to them (Swarm refuses while one does).
    const instance = s.Spec.Labels?.['berth.instance'];
    if (!instance) return;
    await this.untilTasksGone(instance);
    const secrets = (await this.docker.listSecrets({ filters: { label: [`berth.instance=${instance}`] } }).catch(() => [])) as Array<{ ID: string }>;
    for (const secret of secrets) await this.docker.getSecret(secret.ID).remove().catch(() => undefined);
    this.view.forget(s.ID);
  }

  /**
   * A removed service's task stops on its node a moment later (its stop grace period); until
   * then its workspace volume is in use and cannot be removed. Bounded: a dead node's task
   * never reports back, and the reconciler removes what is left.
   */
  private async untilTasksGone(instance: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    const engines = [...this.o.nodeEngines.values()];
    while (Date.now() < deadline) {
      const left = await Promise.all(engines.map((e) => e.listContainers({ labels: { 'berth.instance': instance }, all: true }).then((l) => l.length, () => 0)));
      if (left.every((n) => n === 0)) return;
      await sleep(this.o.pollMs ?? 250);
    }
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    const s = await this.service(idOrName);
    if (!s) return undefined;
    const [info] = await this.view.describe([s]);
    return info;
  }

  async listContainers(options: { labels?: Record<string, string>; all: boolean }): Promise<ContainerInfo[]> {
    const services = await this.view.services(options.labels ?? {});
    const infos = await this.view.describe(services);
    return options.all ? infos : infos.filter((i) => i.state === 'running');
  }

  logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    return serviceLogs(options.follow ? this.streams : this.docker, this.host, id, options);
  }

  /** The engine and container of the service's running task, or a clear error. */
  private async onNode(id: string): Promise<{ engine: DockerDriver; containerId: string }> {
    const s = await this.mustService(id);
    const task = currentTask(await this.view.tasks([s.ID]));
    const containerId = task?.Status.ContainerStatus?.ContainerID;
    if (!task || task.Status.State !== 'running' || !containerId) {
      throw new BerthError('INVALID_STATE', `service ${s.Spec.Name} has no running task`);
    }
    const hostname = this.view.hostnameOf(task.NodeID);
    const engine = hostname ? this.o.nodeEngines.get(hostname) : undefined;
    if (!engine) {
      throw new BerthError('RUNTIME_UNAVAILABLE', `berth has no engine for node ${hostname ?? task.NodeID}: add it to swarm.nodeEngines to exec or read stats there`);
    }
    return { engine, containerId };
  }

  async stats(id: string, options?: StatsOptions): Promise<ContainerStats> {
    const { engine, containerId } = await this.onNode(id);
    return engine.stats(containerId, options);
  }

  async exec(id: string, argv: string[], options: { timeoutMs: number; outputLimitBytes: number; user?: string }): Promise<ExecResult> {
    const { engine, containerId } = await this.onNode(id);
    return engine.exec(containerId, argv, options);
  }

  /**
   * Tenant networks are attachable overlays, one per tenant (networkPerTenant): the engine's
   * `icc` has no overlay equivalent, so only separate overlays keep tenants apart.
   */
  async ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    const scope = spec.labels[LABELS.scope];
    const existing = await this.inspectNetwork(spec.name, scope);
    if (existing) return existing;
    try {
      await this.docker.createNetwork({
        Name: spec.name, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Internal: spec.internal, Labels: spec.labels,
        ...(this.o.encryptNetworks ? { Options: { encrypted: 'true' } } : {}),
        ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] } } : {}),
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) this.fail(error, 'network');
    }
    const made = await this.inspectNetwork(spec.name, scope);
    if (!made) throw new BerthError('RUNTIME_ERROR', `network ${spec.name} vanished right after it was created`);
    return made;
  }

  private async inspectNetwork(name: string, scope?: string): Promise<NetworkInfo | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const n = await this.docker.getNetwork(name).inspect();
        return { id: n.Id, name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet ?? null, labels: n.Labels ?? {} };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        // Two berths raced to create this overlay: keep the oldest, then look again (once).
        if (attempt === 0 && AMBIGUOUS_NETWORK.test(String((error as Error).message))) {
          await settleDuplicateNetworks(this.docker, name, scope).catch(() => 0);
          continue;
        }
        this.fail(error, 'network');
      }
    }
  }

  async removeNetwork(name: string): Promise<void> {
    // A network's tasks leave a moment after their service: retry briefly on "in use".
    for (let attempt = 0; ; attempt++) {
      try {
        await this.docker.getNetwork(name).remove();
        return;
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404) return;
        if (attempt >= 20 || !/in use|active endpoints/i.test(String((error as Error).message))) this.fail(error, 'network');
        await sleep(500);
      }
    }
  }

  async listNetworks(labels: Record<string, string>): Promise<NetworkInfo[]> {
    try {
      const list = await this.docker.listNetworks({ filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`), driver: ['overlay'] } });
      return list.map((n) => ({ id: n.Id, name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet ?? null, labels: n.Labels ?? {} }));
    } catch (error) {
      this.fail(error);
    }
  }

  /** Volumes are made by each node when a task mounts them, with these labels. */
  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.volumeLabels.set(name, labels);
  }

  async removeVolume(name: string): Promise<void> {
    this.volumeLabels.delete(name);
    await Promise.all([...this.o.nodeEngines.values()].map((e) => e.removeVolume(name).catch(() => undefined)));
    await this.pinner.forget(name);
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    const lists = await Promise.all([...this.o.nodeEngines.values()].map((e) => e.listVolumes(labels).catch(() => [])));
    const byName = new Map<string, VolumeInfo>();
    for (const v of lists.flat()) byName.set(v.name, v);
    return [...byName.values()];
  }

  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    return pollTaskEvents(this.view, labels, signal, this.o.pollMs ?? 1000);
  }
}
