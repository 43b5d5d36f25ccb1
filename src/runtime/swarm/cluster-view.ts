import type Docker from 'dockerode';
import { engineError } from '../docker/docker-connection.js';
import type { ContainerInfo } from '../runtime-driver.js';
import type { PublishMode } from './swarm-specs.js';
import { currentTask, exitCodeOf, stateOf } from './swarm-state.js';
import type { RawNode, RawService, RawTask } from './swarm-types.js';

const NODES_TTL_MS = 1000;

/**
 * The manager's view of services, tasks and nodes, turned into berth's container view. Keeps
 * the node of each service's task so probes can be sent where the port is published.
 */
export class ClusterView {
  private nodeCache: { at: number; nodes: RawNode[] } | undefined;
  private readonly placed = new Map<string, { nodeId: string; hostname: string | undefined; address: string | undefined }>();

  constructor(private readonly docker: Docker, private readonly host: string, private readonly publishMode: PublishMode) {}

  async nodes(fresh = false): Promise<RawNode[]> {
    if (!fresh && this.nodeCache && Date.now() - this.nodeCache.at < NODES_TTL_MS) return this.nodeCache.nodes;
    try {
      const nodes = (await this.docker.listNodes()) as RawNode[];
      this.nodeCache = { at: Date.now(), nodes };
      return nodes;
    } catch (error) {
      throw engineError(error, this.host, 'node');
    }
  }

  async refresh(): Promise<void> {
    await this.nodes(true);
  }

  private node(id: string | undefined): RawNode | undefined {
    return id ? this.nodeCache?.nodes.find((n) => n.ID === id) : undefined;
  }

  /** Unknown nodes count as ready: the cache may predate a node that just joined. */
  nodeReady(id: string | undefined): boolean {
    const node = this.node(id);
    return !node || node.Status?.State === 'ready';
  }

  hostnameOf(id: string | undefined): string | undefined {
    return this.node(id)?.Description?.Hostname;
  }

  placementOf(serviceId: string): { nodeId: string; hostname: string | undefined } | undefined {
    return this.placed.get(serviceId);
  }

  addressOf(serviceId: string): string | undefined {
    return this.placed.get(serviceId)?.address;
  }

  forget(serviceId: string): void {
    this.placed.delete(serviceId);
  }

  async services(labels: Record<string, string>): Promise<RawService[]> {
    try {
      return (await this.docker.listServices({ filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } })) as unknown as RawService[];
    } catch (error) {
      throw engineError(error, this.host, 'service');
    }
  }

  async tasks(serviceIds: string[]): Promise<RawTask[]> {
    if (serviceIds.length === 0) return [];
    try {
      return (await this.docker.listTasks({ filters: { service: serviceIds } })) as RawTask[];
    } catch (error) {
      throw engineError(error, this.host, 'task');
    }
  }

  /** One ContainerInfo per service, from its current task and that task's node. */
  async describe(services: RawService[]): Promise<ContainerInfo[]> {
    if (services.length === 0) return [];
    const [tasks] = await Promise.all([this.tasks(services.map((s) => s.ID)), this.nodes()]);
    return services.map((s) => {
      const task = currentTask(tasks.filter((t) => t.ServiceID === s.ID));
      const node = this.node(task?.NodeID);
      const state = stateOf(s, task, this.nodeReady(task?.NodeID));
      const address = this.publishMode === 'host' ? node?.Status?.Addr : undefined;
      if (task?.NodeID && state !== 'exited') this.placed.set(s.ID, { nodeId: task.NodeID, hostname: node?.Description?.Hostname, address });
      const port = s.Spec.EndpointSpec?.Ports?.[0];
      return {
        id: s.ID,
        name: s.Spec.Name,
        image: s.Spec.Labels?.['berth.image-ref'] ?? s.Spec.TaskTemplate.ContainerSpec?.Image ?? '',
        state,
        labels: s.Spec.Labels ?? {},
        createdAt: s.CreatedAt ?? null,
        startedAt: state === 'running' ? (task?.Status.Timestamp ?? null) : null,
        finishedAt: state === 'exited' ? (task?.Status.Timestamp ?? null) : null,
        exitCode: exitCodeOf(task, state),
        oomKilled: false,
        health: null,
        restartCount: 0,
        ports: port?.PublishedPort ? [{ containerPort: port.TargetPort ?? 0, hostPort: port.PublishedPort, hostIp: address ?? '' }] : [],
        ...(node?.Description?.Hostname ? { node: node.Description.Hostname } : {}),
      };
    });
  }
}
