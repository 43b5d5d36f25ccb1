import type { Readable } from 'node:stream';

/**
 * The runtime port: everything berth needs from a container engine, in berth's own terms.
 * Implementations live in one folder each (docker/, swarm/); no engine library type crosses
 * this boundary. Failures are BerthErrors: RUNTIME_UNAVAILABLE when the engine does not answer,
 * CONTAINER_NOT_FOUND, IMAGE_NOT_FOUND, CONFLICT, RUNTIME_ERROR otherwise.
 */

export interface RuntimeInfo {
  engine: string;
  version: string;
  apiVersion: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** argv; undefined keeps the image's command. */
  command?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  user: string;
  hostname: string;
  containerPort: number;
  hostPort: number;
  bindAddress: string;
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
  readOnlyRootfs: boolean;
  network: string;
  /** Named volumes (the workspace). */
  volumes: Array<{ name: string; target: string }>;
  /** Operator-defined host mounts, from config only. */
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  logMaxSize: string;
  logMaxFile: number;
  stopTimeoutSeconds: number;
  /** Size of the noexec,nosuid tmpfs at /tmp; default 64 MiB. */
  tmpSizeBytes?: number;
  /** Writable-layer size limit, applied where the storage driver supports it. */
  diskBytes?: number;
  /** The nofile ulimit (soft and hard). */
  nofile?: number;
  /** Keys of `env` that are secrets: a driver that can keep them out of the spec does (Swarm secrets). */
  secretKeys?: string[];
  /** What a cluster scheduler sets aside for it (Swarm reservations); limits stay cpus/memoryBytes. */
  reservations?: { cpus?: number; memoryBytes?: number };
  /** Where the container may run (Swarm placement constraints, e.g. node.labels.gpu==true). */
  placement?: { constraints: string[] };
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  labels: Record<string, string>;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  /** The engine's own healthcheck status, when the image defines one. */
  health: string | null;
  restartCount: number;
  ports: Array<{ containerPort: number; hostPort: number; hostIp: string }>;
  /** The cluster node running it (Swarm), by hostname. */
  node?: string;
}

export interface ContainerStats {
  at: string;
  cpuPercent: number;
  onlineCpus: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  pids: number;
  /** Bytes in the container's writable layer; null when the engine does not say. */
  writableLayerBytes?: number | null;
  /** Bytes in the instance's workspace volume (engine disk usage); null when unknown. */
  workspaceBytes?: number | null;
}

export interface StatsOptions {
  /** Measure the writable layer and the workspace (default true). */
  disk?: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 timestamp from the engine. */
  time: string;
  text: string;
}

export interface LogOptions {
  tail?: number;
  /** Unix seconds. */
  since?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
}

/** One entry of a path read from inside a container (see RuntimeDriver.readPath). */
export interface PathEntry {
  /** Relative to the path read; '' is the path itself. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  linkTarget: string | null;
  /** File contents when `keep` accepted the entry: its last `maxFileBytes` bytes. */
  data: Buffer | null;
}

export interface ReadPathOptions {
  /** Which files' contents to keep (by relative path); none when absent. */
  keep?: (path: string) => boolean;
  maxFileBytes: number;
  /** Stop after this many entries (a guard against huge trees). */
  maxEntries?: number;
}

export interface ImportToVolumeOptions {
  volume: string;
  volumeLabels: Record<string, string>;
  /** A local image for the holder container (never started; the instance's own image does). */
  image: string;
  target: string;
  holderName: string;
  holderLabels: Record<string, string>;
  tar: Readable;
}

/** What the engine says of one path inside a container (see RuntimeDriver.statPath). */
export interface PathStat {
  size: number;
  /** The engine's modification time (RFC 3339, nanoseconds where the filesystem keeps them). */
  mtime: string;
  directory: boolean;
}

export interface NetworkSpec {
  name: string;
  /** CIDR; undefined lets the engine pick (only for the shared network when no pool is set). */
  subnet?: string;
  internal: boolean;
  /**
   * false: no NAT to the outside (no egress), while published ports still work. Docker's
   * `internal` networks cannot publish ports at all. Default true.
   */
  egress?: boolean;
  /** Inter-container communication on the bridge. */
  icc: boolean;
  labels: Record<string, string>;
  /** Outbound policy for containers on this network, enforced by host firewall rules berth owns. */
  egressPolicy?: { mode: 'all' | 'public' | 'none'; allow: string[] };
}

export interface NetworkInfo {
  id: string;
  name: string;
  subnet: string | null;
  labels: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

export type RuntimeEventType = 'create' | 'start' | 'die' | 'oom' | 'kill' | 'stop' | 'destroy' | 'restart' | 'other';

export interface RuntimeEvent {
  type: RuntimeEventType;
  containerId: string;
  labels: Record<string, string>;
  exitCode: number | null;
  /** Unix ms. */
  at: number;
}

export interface RuntimeDriver {
  readonly name: 'docker' | 'swarm';
  ping(): Promise<RuntimeInfo>;
  imageExists(image: string): Promise<boolean>;

  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  restartContainer(id: string, timeoutSeconds: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  /** Removes a container; a missing one is not an error. */
  removeContainer(id: string): Promise<void>;
  /** Gives a container a new name (a rollout's new container takes the instance's usual name); drivers without it keep the name. */
  renameContainer?(id: string, name: string): Promise<void>;
  /** undefined when no such container exists. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined>;
  listContainers(options: { labels?: Record<string, string>; all: boolean }): Promise<ContainerInfo[]>;
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  /** `disk: false` skips the disk figures: measuring them walks every volume on the engine. */
  stats(id: string, options?: StatsOptions): Promise<ContainerStats>;
  exec(id: string, argv: string[], options: { timeoutMs: number; outputLimitBytes: number; user?: string }): Promise<ExecResult>;
  /**
   * Reads a file or directory tree inside a container without running anything in it (the
   * engine's archive endpoint); undefined when the path does not exist. Optional: a driver
   * without it cannot supervise services inside containers.
   */
  readPath?(id: string, path: string, options: ReadPathOptions): Promise<PathEntry[] | undefined>;
  /** Stats one path inside a container (no contents, far cheaper than readPath); undefined when missing. Optional. */
  statPath?(id: string, path: string): Promise<PathStat | undefined>;

  /** Freezes every process of a container (engine pause). Optional: snapshots in mode pause need it. */
  pauseContainer?(id: string): Promise<void>;
  /** Thaws a paused container; one that is not paused is not an error. */
  unpauseContainer?(id: string): Promise<void>;
  /**
   * A tar stream of `path` inside a container (running, paused or stopped), from the engine's
   * archive endpoint: nothing runs in the container. Optional: snapshots need it.
   */
  exportPath?(id: string, path: string): Promise<Readable>;
  /**
   * Extracts a tar (as exportPath made it) into a volume without running anything: a
   * never-started holder container of `image` mounts the volume (made with `volumeLabels` if
   * missing) at `target`, and the engine extracts the tar at `/`. Returns the holder's id; the
   * caller removes it once the volume is in use elsewhere (while it exists, nothing can remove
   * the volume). Optional: snapshot restores need it.
   */
  importToVolume?(options: ImportToVolumeOptions): Promise<string>;

  ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo>;
  removeNetwork(name: string): Promise<void>;
  listNetworks(labels: Record<string, string>): Promise<NetworkInfo[]>;

  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a volume; a missing one is not an error. */
  removeVolume(name: string): Promise<void>;
  /**
   * Every volume's size in bytes by name (null where the engine does not say), from the
   * engine's disk-usage walk: seconds on a big host, so callers cache it. Optional.
   */
  volumeSizes?(): Promise<Map<string, number | null>>;
  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]>;

  /**
   * Streams container events for objects carrying all `labels` until the signal aborts or
   * the engine connection drops (the iterable then ends; the caller reconnects).
   */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<RuntimeEvent>;

  /**
   * Where a container's published port answers, when that is not runtime.bindAddress (on a
   * cluster: the address of the node running it). From the driver's last view; undefined → the default.
   */
  probeAddress?(containerId: string): string | undefined;
  /**
   * Volumes are made where a container first runs (a cluster node), not by ensureVolume: a
   * volume just ensured may not be listed yet.
   */
  readonly lazyVolumes?: boolean;
  /** Refuses (PLACEMENT_UNSATISFIABLE) placement constraints no ready, active node satisfies now. */
  checkPlacement?(constraints: string[]): Promise<void>;
  /** The cluster node (hostname) running a container, from the driver's last view. */
  nodeOf?(containerId: string): string | undefined;
  /**
   * The shared network cannot keep tenants apart (an overlay has no inter-container switch):
   * every tenant gets a network of its own, whatever its plan says.
   */
  readonly networkPerTenant?: boolean;
}
