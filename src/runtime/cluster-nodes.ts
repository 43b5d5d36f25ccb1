/**
 * The cluster side of a runtime that has nodes (Swarm): listing them, draining and activating
 * them, and the explicit operator action that copies an image onto them. A single-host
 * driver has none of this.
 */
export type NodeAvailability = 'active' | 'pause' | 'drain';

export interface NodeInfo {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  state: string;
  /** The address the node advertises to the manager. */
  address: string | null;
  leader: boolean;
  engineVersion: string | null;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  /** This berth's instances whose task runs there. */
  instances: number;
  /** Whether berth has an engine for it (swarm.nodeEngines) and that engine answers. */
  engine: 'reachable' | 'unreachable' | 'not configured';
  /**
   * Whether tasks there run with no-new-privileges (set by the node's dockerd; the service API
   * cannot), measured in a running instance; unknown when none runs; null without an engine.
   */
  noNewPrivileges?: 'enforced' | 'off' | 'unknown' | null;
}

export interface ImageLoadResult {
  node: string;
  result: 'loaded' | 'present' | 'failed';
  error?: string;
}

export interface ClusterNodes {
  listNodes(instanceLabels: Record<string, string>): Promise<NodeInfo[]>;
  setAvailability(idOrHostname: string, availability: NodeAvailability, instanceLabels: Record<string, string>): Promise<NodeInfo>;
  /** Copies an image from the manager's engine to every configured node engine that lacks it. */
  loadImage(image: string): Promise<ImageLoadResult[]>;
}
