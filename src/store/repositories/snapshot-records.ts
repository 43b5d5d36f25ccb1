/** Workspace snapshots as berth and its API see them. */

export const SNAPSHOT_MODES = ['pause', 'stop'] as const;
/** pause: the agent is frozen (engine pause) for the copy; stop: it is stopped and started again. */
export type SnapshotMode = (typeof SNAPSHOT_MODES)[number];

export type SnapshotTrigger = 'manual' | 'scheduled' | 'before-upgrade';
export type SnapshotStatus = 'creating' | 'ready' | 'failed';

export interface Snapshot {
  id: string;
  instanceId: string;
  /** The instance's name when the snapshot was taken (the instance may be gone since). */
  instance: string;
  tenant: string;
  status: SnapshotStatus;
  trigger: SnapshotTrigger;
  mode: SnapshotMode;
  /** Relative to the snapshot dir: <tenant>/<id>.tar */
  file: string;
  sizeBytes: number | null;
  sha256: string | null;
  /** How long the agent was paused (mode pause) or down (mode stop) for the copy, in ms. */
  pauseMs: number | null;
  actor: string;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}
