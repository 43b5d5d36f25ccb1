import { BerthError } from '../../common/errors.js';
import type { WorkspacePins } from '../workspace-pins.js';
import type { ClusterView } from './cluster-view.js';
import { nodeCanRun } from './swarm-state.js';
import type { RawService, RawTask } from './swarm-types.js';

const PIN = 'node.id==';

/** The workspace volume a service mounts, if any (an instance's only volume mount). */
export function workspaceOfService(s: RawService): string | undefined {
  return s.Spec.TaskTemplate.ContainerSpec?.Mounts?.find((m) => m.Type === 'volume')?.Source;
}

/** The constraints with the service pinned to one node (any older pin replaced). */
export function withPin(constraints: string[], nodeId: string): string[] {
  return [...constraints.filter((c) => !c.replace(/\s+/g, '').startsWith(PIN)), `${PIN}${nodeId}`];
}

/**
 * Keeps an instance's tasks on the node that holds its workspace volume. The node is the one
 * recorded at the volume's first placement, or else the node of the service's last task (the
 * task made the volume there). A pinned node that cannot run tasks is refused with a clear
 * error before any task is made, so nothing waits on a node that will not take it.
 */
export class WorkspacePinner {
  constructor(private readonly view: ClusterView, private readonly pins: WorkspacePins | undefined) {}

  get enabled(): boolean {
    return this.pins !== undefined;
  }

  /** The node a workspace must run on, checked ready and active; undefined: anywhere. */
  async nodeFor(volume: string | undefined, lastTask?: RawTask): Promise<string | undefined> {
    if (!this.pins || !volume) return undefined;
    const nodeId = (await this.pins.nodeOf(volume)) ?? lastTask?.NodeID;
    if (!nodeId) return undefined;
    const node = (await this.view.nodes()).find((n) => n.ID === nodeId);
    if (!node || !nodeCanRun(node)) {
      const name = node?.Description?.Hostname ?? nodeId;
      const why = node ? `${node.Status?.State ?? 'unknown'}, ${node.Spec.Availability ?? 'unknown'}` : 'no longer in the swarm';
      throw new BerthError('WORKSPACE_NODE_UNAVAILABLE',
        `the workspace ${volume} lives on node ${name} (${why}); berth keeps the instance on that node so it never starts on an empty workspace: activate the node (berth nodes activate ${name}) or bring it back; to give up the data, delete the instance and create it again`,
        { details: { node: name, nodeId, volume } });
    }
    return nodeId;
  }

  /** Records where a running task put its workspace (the first placement wins). */
  async placed(volume: string | undefined, task: RawTask | undefined): Promise<void> {
    if (this.pins && volume && task?.NodeID) await this.pins.record(volume, task.NodeID);
  }

  async forget(volume: string): Promise<void> {
    await this.pins?.forget(volume);
  }
}
