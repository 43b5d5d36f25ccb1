import type { Instance, Viewer } from '../instances/instance-types.js';
import type { ServiceState } from './s6-status.js';

/** One s6 service as the API shows it. */
export interface ServiceView {
  name: string;
  label: string;
  state: ServiceState;
  wantUp: boolean;
  ready: boolean;
  pid: number | null;
  uptimeSeconds: number;
  exitCode: number | null;
  signal: string | null;
  normallyUp: boolean;
  paused: boolean;
  /** The line `s6-svstat` prints for this state (rendered from supervise/status). */
  raw: string;
}

export type ServiceAction = 'up' | 'down' | 'restart' | 'once';
export const SERVICE_ACTIONS: readonly ServiceAction[] = ['up', 'down', 'restart', 'once'];

/** A container whose services berth may supervise: an instance's, or one registered in config. */
export interface SupervisionTarget {
  kind: 'instance' | 'registered';
  /** The instance's name, or the registered entry's name. */
  name: string;
  instanceId: string | null;
  tenant: string | null;
  /** What the engine knows the container by (id for instances, name or id when registered). */
  containerRef: string | null;
  /** Configured scan directory, tried before the defaults. */
  scanDir: string | null;
  labels: Record<string, string>;
}

export interface SupervisedContainer {
  name: string;
  kind: 'instance' | 'registered';
  instance: string | null;
  tenant: string | null;
  containerId: string | null;
  engineState: string;
  supervisor: 's6' | null;
  scanDir: string | null;
  serviceCount: number | null;
}

/** What supervision needs from the instance domain (InstanceService satisfies it). */
export interface InstanceLookup {
  get(idOrName: string, viewer: Viewer): Promise<Instance>;
  list(filter: { limit?: number; offset?: number }, viewer: Viewer): Promise<{ items: Instance[]; total: number }>;
}
