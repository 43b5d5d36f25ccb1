import { Type, type Static, type TObject } from '@sinclair/typebox';

/**
 * The single source of berth's configuration: types, defaults and limits. The loader fills
 * defaults, layers file → env → flags, and validates against this schema once at boot.
 */
const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)));

const Seconds = (def: number, min = 0) => Type.Number({ default: def, minimum: min });

export const HealthDefaultsSchema = Type.Object({
  path: Type.String({ default: '/health', pattern: '^/[A-Za-z0-9._~!$&\'()*+,;=:@%/?-]*$' }),
  intervalSeconds: Seconds(30, 1),
  timeoutSeconds: Seconds(5, 1),
  failureThreshold: Type.Integer({ default: 3, minimum: 1 }),
  successThreshold: Type.Integer({ default: 1, minimum: 1 }),
  startPeriodSeconds: Seconds(10, 0),
}, { additionalProperties: false, default: {} });

export const RestartPolicySchema = Type.Object({
  /** The first restart of a streak is immediate; this is the delay before the second, doubling after. */
  baseDelaySeconds: Seconds(10, 0),
  maxDelaySeconds: Seconds(300, 0),
  jitter: Type.Number({ default: 0.2, minimum: 0, maximum: 1 }),
  /** Running this long without a failure resets the backoff. */
  resetAfterSeconds: Seconds(600, 1),
  /** More restarts than this within windowSeconds → crashloop. */
  crashloopRestarts: Type.Integer({ default: 5, minimum: 1 }),
  windowSeconds: Seconds(600, 1),
  /** Consecutive restarts without a stable period before the instance is marked failed. */
  failAfterRestarts: Type.Integer({ default: 10, minimum: 1 }),
}, { additionalProperties: false, default: {} });

/** A plan's overrides of a top-level section: every key optional and without a default, so unset keys inherit. */
function overridesOf<T extends TObject>(schema: T) {
  const partial = Type.Partial(schema, { additionalProperties: false });
  for (const property of Object.values(partial.properties)) delete (property as { default?: unknown }).default;
  delete (partial as { default?: unknown }).default;
  return partial;
}

export const PlanSnapshotsSchema = Type.Object({
  /** Snapshot (mode pause) before an upgrade replaces the container. */
  beforeUpgrade: Type.Boolean({ default: false }),
  /** Scheduled and before-upgrade snapshots kept per instance; the oldest past it are deleted. Those taken on request are never pruned. */
  keep: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  /** Cron expression (UTC) for scheduled snapshots, run by the job scheduler as the internal job snapshots-<plan>; unset: none. */
  schedule: Type.Optional(Type.String({ minLength: 9 })),
}, { additionalProperties: false });

export const PlanSchema = Type.Object({
  cpus: Type.Number({ exclusiveMinimum: 0, maximum: 512 }),
  /** Memory limit: a size such as "512MiB", "1GiB", "512m", or a number of MiB. */
  memory: Type.Union([Type.String(), Type.Number()]),
  pidsLimit: Type.Integer({ default: 256, minimum: 16 }),
  readOnlyRootfs: Type.Boolean({ default: false }),
  /** Give each tenant on this plan its own bridge network, with a subnet from network.subnetPool. */
  dedicatedNetwork: Type.Boolean({ default: false }),
  /** With dedicatedNetwork: no egress from the tenant's network. */
  internalNetwork: Type.Boolean({ default: false }),
  /** Size of the tmpfs at /tmp (noexec, nosuid), counted against the container's memory. */
  tmpSize: Type.Union([Type.String(), Type.Number()], { default: '64MiB' }),
  /**
   * Disk per instance (e.g. "10GiB"): the writable layer's size limit where the storage driver
   * supports it, and the workspace size berth measures and alerts on. Unset: no limit.
   */
  disk: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  /** Outbound traffic: all, public (no private, link-local or host addresses), or none. */
  egress: Type.Union([Type.Literal('all'), Type.Literal('public'), Type.Literal('none')], { default: 'public' }),
  /** CIDR or CIDR:port a tenant may reach despite `egress` (a model gateway, a proxy). */
  egressAllow: Type.Array(Type.String({ pattern: '^[0-9a-fA-F.:]+/[0-9]{1,3}(:[0-9]{1,5})?$' }), { default: [] }),
  health: Type.Optional(overridesOf(HealthDefaultsSchema)),
  restart: Type.Optional(overridesOf(RestartPolicySchema)),
  /** runtime.driver swarm: what the scheduler sets aside on a node for each instance (limits stay cpus/memory). */
  reservations: Type.Optional(Type.Object({
    cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 512 })),
    memory: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  }, { additionalProperties: false })),
  /** Workspace snapshots of this plan's instances: before each upgrade, on a cron schedule, and how many of those to keep. */
  snapshots: Type.Optional(PlanSnapshotsSchema),
  /** runtime.driver swarm: where this plan's instances may run, as Swarm constraints (node.labels.gpu==true). */
  placement: Type.Optional(Type.Object({ constraints: Type.Array(Type.String({ minLength: 3 }), { default: [] }) }, { additionalProperties: false })),
  /** s6 scan directory tried first on this plan's instances (absolute, no ".."), before supervision.scanDirs. */
  scanDir: Type.Optional(Type.String({ pattern: '^/', maxLength: 255 })),
}, { additionalProperties: false });

export const MountSchema = Type.Object({
  source: Type.String({ minLength: 1 }),
  target: Type.String({ pattern: '^/' }),
  readOnly: Type.Boolean({ default: true }),
}, { additionalProperties: false });

export const WebhookSchema = Type.Object({
  url: Type.String({ pattern: '^https?://' }),
  events: Type.Array(Type.String(), { default: ['crashloop', 'failed', 'recovered', 'disk-exceeded'] }),
}, { additionalProperties: false });

/** A container berth did not create whose s6 services it supervises (e.g. a compose service). */
export const SupervisedContainerSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' }),
  /** The engine's container name or id. */
  container: Type.String({ minLength: 1 }),
  /** Empty: detected like an instance's. */
  scanDir: Type.String({ default: '', pattern: '^(/.*)?$' }),
  /** Display labels by service name. */
  labels: Type.Record(Type.String(), Type.String(), { default: {} }),
}, { additionalProperties: false });

/** What one tenant may hold; the admin overrides them per tenant (PUT /v1/tenants/{t}/limits). */
export const TenantLimitsSchema = Type.Object({
  maxInstances: Type.Integer({ default: 50, minimum: 0 }),
  /** Sum of the CPUs of the tenant's instances' plans. */
  maxCpus: Type.Number({ default: 32, minimum: 0 }),
  /** Sum of the memory of the tenant's instances' plans: a size such as "64GiB", or a number of MiB. */
  maxMemory: Type.Union([Type.String(), Type.Number()], { default: '64GiB' }),
  maxJobs: Type.Integer({ default: 100, minimum: 0 }),
  /** The shortest gap a tenant's cron schedule may have between two runs. */
  minJobIntervalSeconds: Type.Integer({ default: 1, minimum: 1 }),
  /** The plans the tenant may use; empty: every plan. */
  plans: Type.Array(Type.String(), { default: [] }),
}, { additionalProperties: false, default: {} });

export const ConfigSchema = Type.Object({
  dataDir: Type.String({ default: './data', minLength: 1 }),
  server: Type.Object({
    host: Type.String({ default: '127.0.0.1', minLength: 1 }),
    port: Type.Integer({ default: 8081, minimum: 0, maximum: 65535 }),
    shutdownGraceSeconds: Seconds(15, 0),
    bodyLimitBytes: Type.Integer({ default: 256 * 1024, minimum: 1024 }),
  }, { additionalProperties: false, default: {} }),
  database: Type.Object({
    /** Empty: a SQLite file in dataDir. postgres://… : Postgres. */
    url: Type.String({ default: '' }),
  }, { additionalProperties: false, default: {} }),
  docker: Type.Object({
    /** unix:///var/run/docker.sock, a socket path, or tcp://host:port. */
    host: Type.String({ default: 'unix:///var/run/docker.sock' }),
    /** How often berth retries an engine that does not answer. */
    retrySeconds: Seconds(2, 0.1),
    /** tcp:// with TLS, client certificates checked both ways (DOCKER_TLS_VERIFY). */
    tlsVerify: Type.Boolean({ default: false }),
    /** Directory holding ca.pem, cert.pem and key.pem (DOCKER_CERT_PATH); empty: ~/.docker. */
    certPath: Type.String({ default: '' }),
    /** Accept plain tcp:// to a non-loopback engine (unencrypted, root on that host to anyone who reaches it). */
    allowInsecureTcp: Type.Boolean({ default: false }),
  }, { additionalProperties: false, default: {} }),
  runtime: Type.Object({
    driver: Type.Union([Type.Literal('docker'), Type.Literal('swarm')], { default: 'docker' }),
    /** berth manages only containers labelled with its scope: several berths can share an engine. */
    scope: Type.String({ default: 'default', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    bindAddress: Type.String({ default: '127.0.0.1' }),
    defaultImage: Type.String({ default: 'berth/test-agent:local' }),
    allowedImages: Type.Array(Type.String(), { default: [] }),
    /** The user tenant containers run as unless the image needs otherwise. */
    user: Type.String({ default: '65534:65534', pattern: '^[0-9]+(:[0-9]+)?$' }),
    /** Accept uid 0 in runtime.user (refused by default). */
    allowRootUser: Type.Boolean({ default: false }),
    /** Accept a wildcard or non-loopback bindAddress: tenant ports are then reachable from the network. */
    publicBind: Type.Boolean({ default: false }),
    defaultPort: Type.Integer({ default: 8080, minimum: 1, maximum: 65535 }),
    logMaxSize: Type.String({ default: '10m', pattern: '^[0-9]+[kmg]?$' }),
    logMaxFile: Type.Integer({ default: 3, minimum: 1, maximum: 100 }),
    stopTimeoutSeconds: Seconds(10, 0),
    /** Open files per tenant process (the nofile ulimit, soft and hard); must not exceed the engine's own limit. */
    nofile: Type.Integer({ default: 8192, minimum: 64, maximum: 1048576 }),
    /**
     * Engine-mutating calls (create, start, stop, restart, remove…) in flight at once, from the
     * API, the monitor, the reconciler and jobs together. Unset: monitor.restartConcurrency.
     */
    engineConcurrency: Type.Optional(Type.Integer({ minimum: 1 })),
    env: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { default: {} }),
    mounts: Type.Array(MountSchema, { default: [] }),
  }, { additionalProperties: false, default: {} }),
  swarm: Type.Object({
    /** host: the port is published on the node running the task (probes go to that node's address); ingress: the routing mesh, every node. */
    publishMode: Type.Union([Type.Literal('host'), Type.Literal('ingress')], { default: 'host' }),
    /** Node hostname → that node's engine (unix:///… or tcp://…), for exec jobs, stats and workspace volumes. */
    nodeEngines: Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: '^(unix|tcp|http|https)://' }), { default: {} }),
    /** How long start and restart wait for a task to run before saying why it does not. */
    startTimeoutSeconds: Seconds(90, 1),
    /** Encrypt each tenant overlay's traffic between nodes (IPsec; the nodes must allow ESP, IP protocol 50). */
    encryptNetworks: Type.Boolean({ default: false }),
    /**
     * Keep each instance on the node that holds its workspace volume (volumes are node-local):
     * a drained or dead node's instances wait for it instead of starting on an empty workspace.
     * false: they follow Swarm to another node, with an empty workspace (stateless agents).
     */
    pinWorkspaces: Type.Boolean({ default: true }),
  }, { additionalProperties: false, default: {} }),
  network: Type.Object({
    /** The shared bridge (inter-container traffic disabled) used by plans without a dedicated network. */
    sharedName: Type.String({ default: 'berth-shared' }),
    sharedSubnet: Type.String({ default: '10.210.0.0/16' }),
    /** Pool for dedicated tenant networks; each gets one /subnetPrefix from it. */
    subnetPool: Type.String({ default: '10.211.0.0/16' }),
    subnetPrefix: Type.Integer({ default: 28, minimum: 16, maximum: 29 }),
  }, { additionalProperties: false, default: {} }),
  ports: Type.Object({
    start: Type.Integer({ default: 20000, minimum: 1024, maximum: 65535 }),
    end: Type.Integer({ default: 29999, minimum: 1024, maximum: 65535 }),
  }, { additionalProperties: false, default: {} }),
  plans: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }), PlanSchema, { default: {} }),
  defaultPlan: Type.String({ default: 'starter' }),
  health: HealthDefaultsSchema,
  restart: RestartPolicySchema,
  monitor: Type.Object({
    enabled: Type.Boolean({ default: true }),
    probeConcurrency: Type.Integer({ default: 32, minimum: 1 }),
    /** Probe slots one tenant may hold at once, inside probeConcurrency (fairness between tenants). */
    probeConcurrencyPerTenant: Type.Integer({ default: 8, minimum: 1 }),
    restartConcurrency: Type.Integer({ default: 8, minimum: 1 }),
    reconcileIntervalSeconds: Seconds(30, 1),
    flushIntervalMs: Type.Integer({ default: 1000, minimum: 10 }),
    /** How often disk use is measured for plans that set `disk` (one engine disk-usage call per pass). */
    diskCheckSeconds: Seconds(300, 1),
  }, { additionalProperties: false, default: {} }),
  scheduler: Type.Object({
    enabled: Type.Boolean({ default: true }),
    pollSeconds: Seconds(1, 0.1),
    defaultTimeoutSeconds: Seconds(60, 1),
    outputLimitBytes: Type.Integer({ default: 8192, minimum: 256 }),
  }, { additionalProperties: false, default: {} }),
  rateLimit: Type.Object({
    enabled: Type.Boolean({ default: true }),
    /** Requests per token per minute over the reading /v1 routes. */
    perMinute: Type.Integer({ default: 1200, minimum: 1 }),
    /** Requests per token per minute over the mutating /v1 routes (POST, PUT, PATCH, DELETE). */
    mutatingPerMinute: Type.Integer({ default: 300, minimum: 1 }),
    /** Requests with an invalid or unknown token one client address may make per window; then 429 until the window passes. */
    authFailures: Type.Integer({ default: 20, minimum: 1 }),
    authFailureWindowSeconds: Type.Integer({ default: 60, minimum: 1 }),
  }, { additionalProperties: false, default: {} }),
  streams: Type.Object({
    /** Followed log streams (follow=true) one token may hold open at once. */
    maxPerToken: Type.Integer({ default: 4, minimum: 1 }),
    /** Followed log streams open at once over all tokens. */
    maxTotal: Type.Integer({ default: 64, minimum: 1 }),
    /** A followed stream ends after this long; clients reconnect. */
    maxSeconds: Type.Integer({ default: 3600, minimum: 1 }),
  }, { additionalProperties: false, default: {} }),
  retention: Type.Object({
    eventsMaxAgeDays: Type.Number({ default: 30, exclusiveMinimum: 0 }),
    eventsMaxCount: Type.Integer({ default: 100000, minimum: 1 }),
    /** Job runs carry captured output: this bounds how long it is kept. */
    jobRunsMaxAgeDays: Type.Number({ default: 14, exclusiveMinimum: 0 }),
    jobRunsMaxCount: Type.Integer({ default: 50000, minimum: 1 }),
    intervalSeconds: Type.Integer({ default: 300, minimum: 1 }),
    batchSize: Type.Integer({ default: 500, minimum: 1, maximum: 10000 }),
  }, { additionalProperties: false, default: {} }),
  snapshots: Type.Object({
    /** Where snapshot files go (<dir>/<tenant>/<id>.tar, 0600); empty: <dataDir>/snapshots. A separate volume keeps them off the store's disk. */
    dir: Type.String({ default: '' }),
    /** Snapshots taken on request one instance may hold (scheduled ones follow the plan's keep). */
    maxPerInstance: Type.Integer({ default: 20, minimum: 1 }),
    /** The longest a pause-mode copy may keep the agent frozen; past it the copy fails and the agent is thawed. */
    maxPauseSeconds: Seconds(120, 1),
  }, { additionalProperties: false, default: {} }),
  tenants: Type.Object({
    defaults: TenantLimitsSchema,
  }, { additionalProperties: false, default: {} }),
  alerts: Type.Object({
    webhooks: Type.Array(WebhookSchema, { default: [] }),
  }, { additionalProperties: false, default: {} }),
  rollout: Type.Object({
    /** How long a new revision has to pass its health check before it is rolled back (per request: rollout.healthTimeoutSeconds). */
    healthTimeoutSeconds: Type.Integer({ default: 120, minimum: 1, maximum: 3600 }),
    /** rollback: the previous revision comes back; pause: the new one stays, left to the monitor. */
    failureAction: Type.Union([Type.Literal('rollback'), Type.Literal('pause')], { default: 'rollback' }),
  }, { additionalProperties: false, default: {} }),
  supervision: Type.Object({
    /** s6 scan directories tried in order on a container; the first with supervised services wins. */
    scanDirs: Type.Array(Type.String({ pattern: '^/' }), { default: ['/run/service', '/var/run/s6/services', '/run/s6-rc/servicedirs', '/etc/s6/services', '/etc/service', '/service'] }),
    /** Where services log through s6-log: `<logDir>/<service>/current`. */
    logDir: Type.String({ default: '/var/log', pattern: '^/' }),
    /** Upper bound for `?timeout=` on service actions. */
    actionTimeoutSeconds: Seconds(30, 1),
    /** How often the monitor reads every running instance's s6 services (service-down/-up events for the non-critical ones); 0: never. */
    watchIntervalSeconds: Seconds(30, 0),
    /** Instances read at once by that watch. */
    watchConcurrency: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
    containers: Type.Array(SupervisedContainerSchema, { default: [] }),
  }, { additionalProperties: false, default: {} }),
  cluster: Type.Object({
    /** Names this process in leases, locks and restarts; empty: `<hostname>:<pid>`. */
    processId: Type.String({ default: '' }),
    /** The leader lease (Postgres): a dead leader is replaced within this plus pollSeconds. */
    leaseSeconds: Seconds(8, 2),
    /** How often a follower asks whether the lease is free. */
    pollSeconds: Seconds(1, 0.1),
    /** An API action waits this long for another process's action on the same instance, then 409 INSTANCE_BUSY. */
    lockWaitSeconds: Seconds(10, 0),
    /** A per-instance lock whose holder died frees itself after this. */
    instanceLockSeconds: Seconds(15, 3),
  }, { additionalProperties: false, default: {} }),
  log: Type.Object({
    level: Type.Union([LogLevel], { default: 'info' }),
    /** auto: readable lines on a terminal, JSON lines otherwise (files, pipes, journald). */
    format: Type.Union([Type.Literal('auto'), Type.Literal('pretty'), Type.Literal('json')], { default: 'auto' }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false });

export type BerthConfig = Static<typeof ConfigSchema>;
export type PlanConfig = Static<typeof PlanSchema>;
export type HealthDefaults = Static<typeof HealthDefaultsSchema>;
export type RestartPolicy = Static<typeof RestartPolicySchema>;
export type TenantLimits = Static<typeof TenantLimitsSchema>;

/** Plans every berth ships with; a config file may override fields or add plans. */
export const SHIPPED_PLANS: Record<string, { cpus: number; memory: string; pidsLimit: number }> = {
  starter: { cpus: 0.5, memory: '512MiB', pidsLimit: 256 },
  pro: { cpus: 1, memory: '1GiB', pidsLimit: 512 },
  business: { cpus: 2, memory: '2GiB', pidsLimit: 1024 },
};
