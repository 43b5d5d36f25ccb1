/**
 * Where node-local workspace volumes live (runtime.driver swarm): the driver pins an
 * instance's task to the node holding its workspace, so a restart or a recreate never lands
 * on an empty volume. Implemented by the store; passed in from the composition root.
 */
export interface WorkspacePins {
  /** The node id holding the volume, or undefined before its first placement. */
  nodeOf(volume: string): Promise<string | undefined>;
  /** Records the node of the volume's first placement (later calls change nothing). */
  record(volume: string, nodeId: string): Promise<void>;
  /** The volume is gone: forget its node. */
  forget(volume: string): Promise<void>;
}
