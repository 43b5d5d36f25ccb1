import type Docker from 'dockerode';
import { BerthError } from '../../common/errors.js';
import type { ClusterNodes, ImageLoadResult, NodeAvailability, NodeInfo } from '../cluster-nodes.js';
import { engineError } from '../docker/docker-connection.js';
import type { DockerDriver } from '../docker/docker-driver.js';
import type { ClusterView } from './cluster-view.js';
import { NoNewPrivilegesProbe } from './no-new-privileges.js';
import { currentTask } from './swarm-state.js';
import type { RawNode } from './swarm-types.js';

/** Swarm nodes as berth shows and changes them; images move only when an operator asks. */
export class SwarmNodes implements ClusterNodes {
  private readonly noNewPrivileges: NoNewPrivilegesProbe;

  constructor(private readonly docker: Docker, private readonly host: string, private readonly view: ClusterView, private readonly clients: Map<string, Docker>, engines: Map<string, DockerDriver> = new Map()) {
    this.noNewPrivileges = new NoNewPrivilegesProbe(engines);
  }

  async listNodes(instanceLabels: Record<string, string>): Promise<NodeInfo[]> {
    const [nodes, services] = await Promise.all([this.view.nodes(true), this.view.services(instanceLabels)]);
    const tasks = await this.view.tasks(services.map((s) => s.ID));
    const placed = new Map<string, number>();
    for (const s of services) {
      const task = currentTask(tasks.filter((t) => t.ServiceID === s.ID));
      if (task?.NodeID && task.DesiredState === 'running') placed.set(task.NodeID, (placed.get(task.NodeID) ?? 0) + 1);
    }
    const engines = await Promise.all(nodes.map((n) => this.engineState(n)));
    const nnp = await Promise.all(nodes.map((n, i) => (engines[i] === 'reachable' ? this.noNewPrivileges.of(n.Description?.Hostname ?? '', instanceLabels) : null)));
    return nodes.map((n, i) => ({ ...toNodeInfo(n, placed.get(n.ID) ?? 0, engines[i]!), noNewPrivileges: nnp[i] ?? null }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  private async engineState(node: RawNode): Promise<NodeInfo['engine']> {
    const client = this.clients.get(node.Description?.Hostname ?? '');
    if (!client) return 'not configured';
    try {
      await client.ping();
      return 'reachable';
    } catch {
      return 'unreachable';
    }
  }

  private async find(idOrHostname: string): Promise<RawNode> {
    const nodes = await this.view.nodes(true);
    const node = nodes.find((n) => n.ID === idOrHostname) ?? nodes.find((n) => n.Description?.Hostname === idOrHostname);
    if (!node) throw new BerthError('NOT_FOUND', `no node ${idOrHostname} in this swarm`);
    return node;
  }

  async setAvailability(idOrHostname: string, availability: NodeAvailability, instanceLabels: Record<string, string>): Promise<NodeInfo> {
    const node = await this.find(idOrHostname);
    try {
      await this.docker.getNode(node.ID).update({ version: node.Version.Index, ...node.Spec, Availability: availability });
    } catch (error) {
      throw engineError(error, this.host, 'node');
    }
    const after = (await this.listNodes(instanceLabels)).find((n) => n.id === node.ID);
    if (!after) throw new BerthError('NOT_FOUND', `node ${idOrHostname} left the swarm`);
    return after;
  }

  async loadImage(image: string): Promise<ImageLoadResult[]> {
    if (this.clients.size === 0) throw new BerthError('INVALID_CONFIG', 'swarm.nodeEngines is empty: berth reaches no node engine to load an image into');
    const source = this.docker.getImage(image);
    const id = await source.inspect().then((i) => i.Id, (error: unknown) => {
      throw engineError(error, this.host, 'image');
    });
    const results: ImageLoadResult[] = [];
    for (const [node, client] of this.clients) {
      try {
        const present = await client.getImage(image).inspect().then((i) => i.Id === id, () => false);
        if (present) {
          results.push({ node, result: 'present' });
          continue;
        }
        const tar = await source.get();
        const out = await client.loadImage(tar, { quiet: true });
        await new Promise<void>((resolve, reject) => {
          out.on('error', reject);
          out.on('end', resolve);
          out.resume();
        });
        results.push({ node, result: 'loaded' });
      } catch (error) {
        results.push({ node, result: 'failed', error: engineError(error, node, 'image').message });
      }
    }
    return results;
  }
}

function toNodeInfo(n: RawNode, instances: number, engine: NodeInfo['engine']): NodeInfo {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec.Role ?? 'worker',
    availability: n.Spec.Availability ?? 'active',
    state: n.Status?.State ?? 'unknown',
    address: n.Status?.Addr ?? null,
    leader: n.ManagerStatus?.Leader ?? false,
    engineVersion: n.Description?.Engine?.EngineVersion ?? null,
    labels: n.Spec.Labels ?? {},
    cpus: (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
    memoryBytes: n.Description?.Resources?.MemoryBytes ?? 0,
    instances,
    engine,
  };
}
