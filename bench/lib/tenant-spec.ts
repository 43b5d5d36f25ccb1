/**
 * What every side of the comparison runs per tenant: the same image, limits and port
 * publishing as berth's `starter` plan and container defaults (src/runtime/docker), so the
 * only difference between the columns is the control plane.
 */
export const TENANT = {
  image: process.env.BERTH_BENCH_IMAGE ?? 'berth/test-agent:local',
  containerPort: 8080,
  bindAddress: '127.0.0.1',
  cpus: 0.5,
  memoryBytes: 512 * 1024 * 1024,
  pidsLimit: 256,
  user: '65534:65534',
  logMaxSize: '10m',
  logMaxFile: 3,
  healthPath: '/health',
  /** berth gives every instance a workspace volume; the baselines make one too. */
  workspaceTarget: '/workspace',
} as const;

/** The label that marks everything one bench run creates (swept at the end and on Ctrl-C). */
export const BENCH_LABEL = 'berth.bench';

/** One tenant as a baseline made it. */
export interface Tenant {
  name: string;
  hostPort: number;
  /** Where the port answers, when not 127.0.0.1 (a Swarm node). */
  address?: string;
  /** The engine's container id, once known. */
  containerId?: string;
}

/** One side of the comparison: provisions a tenant up to healthy, and removes it. */
export interface Provisioner {
  readonly name: string;
  /** One-off preparation (shared network …), not timed. */
  setup(): Promise<void>;
  /** From the first call to the tenant answering /health. */
  provision(name: string): Promise<Tenant>;
  /** Stops and removes the tenant and its workspace. */
  remove(tenant: Tenant): Promise<void>;
  /** Asks for a restart (stop with SIGTERM, start again) and returns when the call returns; the scenario waits for the new process. */
  restart?(tenant: Tenant): Promise<void>;
  teardown(): Promise<void>;
}
