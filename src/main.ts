import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { DestinationStream } from 'pino';
import { buildApp, type RouteModule } from './api/app.js';
import { routesOf, type RouteRecord } from './api/auth.js';
import { StreamSlots } from './api/stream-slots.js';
import { RetentionLoop } from './core/retention/retention-loop.js';
import { instanceSecretValues } from './core/secrets/instance-secrets.js';
import { systemRoutes } from './api/routes/system.js';
import { tokenRoutes } from './api/routes/tokens.js';
import { dockerRoutes } from './api/routes/docker.js';
import { instanceRoutes } from './api/routes/instances.js';
import { serviceRoutes } from './api/routes/services.js';
import { ServiceHealth } from './core/supervision/service-health.js';
import { ServiceWatch } from './core/supervision/service-watch.js';
import { SupervisionService } from './core/supervision/supervision-service.js';
import { planRoutes } from './api/routes/plans.js';
import { eventRoutes } from './api/routes/events.js';
import { fleetStreamRoutes } from './api/routes/fleet-stream.js';
import { FleetFeed, wholeFleet } from './core/instances/fleet-feed.js';
import { createInstances } from './core/instances/create-instances.js';
import type { InstanceService } from './core/instances/instance-service.js';
import { loadOrCreateSecretKey, SecretBox } from './core/secrets/secret-box.js';
import { Reconciler } from './reconciler/reconciler.js';
import { RestartOnExit } from './reconciler/exit-handler.js';
import { jobRoutes } from './api/routes/jobs.js';
import { gcRoutes } from './api/routes/gc.js';
import { uiSessionRoutes } from './api/routes/ui-session.js';
import { imageRoutes } from './api/routes/images.js';
import { nodeRoutes } from './api/routes/nodes.js';
import { workspaceRoutes } from './api/routes/workspaces.js';
import { tenantRoutes } from './api/routes/tenants.js';
import { TenantQuotas } from './core/tenants/tenant-quotas.js';
import { resolvePlans } from './core/plans/resolve-plans.js';
import { createUpgrades } from './core/upgrades/create-upgrades.js';
import { upgradeRepos } from './store/repositories/upgrade-repos.js';
import { revisionRoutes } from './api/routes/revisions.js';
import { rolloutRoutes } from './api/routes/rollouts.js';
import { WorkspaceService } from './core/workspaces/workspace-service.js';
import { createSnapshots, seederSlot } from './core/snapshots/create-snapshots.js';
import { syncPlanSnapshotJobs } from './core/snapshots/plan-snapshot-jobs.js';
import type { SnapshotService } from './core/snapshots/snapshot-service.js';
import { SYSTEM_VIEWER } from './core/instances/instance-types.js';
import { snapshotRoutes } from './api/routes/snapshots.js';
import { backupRoutes } from './api/routes/backup.js';
import { WorkspaceSizes } from './core/workspaces/workspace-sizes.js';
import { systemClock, type Clock } from './common/clock.js';
import { describeError } from './common/errors.js';
import { EngineLimiter } from './common/engine-limiter.js';
import { HealthRegistry } from './common/health.js';
import { RefreshedValue } from './common/refreshed-value.js';
import { createLogger, type Logger } from './common/logger.js';
import { readVersion } from './common/version.js';
import { loadConfig, type LoadOptions } from './config/loader.js';
import type { BerthConfig } from './config/schema.js';
import { runningUnderTests } from './config/test-mode.js';
import { EventLog } from './core/events/event-log.js';
import { ensureAdminToken } from './core/tokens/admin-token.js';
import { TokenService } from './core/tokens/token-service.js';
import { phase, type Service } from './common/lifecycle.js';
import { connectDocker } from './runtime/docker/docker-connection.js';
import { DockerDriver } from './runtime/docker/docker-driver.js';
import { diskLimitsHealth } from './runtime/docker/disk-limits.js';
import { EgressFirewall, execFileRunner } from './runtime/docker/egress-rules.js';
import { boundEgress } from './runtime/docker/egress-status.js';
import { createSwarmDriver } from './runtime/swarm/create-swarm-driver.js';
import type { SwarmDriver } from './runtime/swarm/swarm-driver.js';
import { limitEngineCalls } from './runtime/limited-runtime.js';
import type { RuntimeDriver } from './runtime/runtime-driver.js';
import { RuntimeStatus } from './runtime/runtime-status.js';
import { AlertDispatcher } from './alerts/alert-dispatcher.js';
import { instrumentRuntime } from './monitor/instrumented-runtime.js';
import { Monitor } from './monitor/monitor.js';
import { HttpProber, probeHost } from './monitor/http-prober.js';
import { judgeRollout } from './monitor/rollout-judge.js';
import { DiskWatch } from './monitor/disk-watch.js';
import { MonitorMetrics } from './monitor/monitor-metrics.js';
import { createScheduler } from './scheduler/create-scheduler.js';
import { openStore, type Store } from './store/store.js';
import { LeaderLoops } from './coordination/leader-loops.js';
import type { LeaderTerm } from './coordination/leadership.js';

export interface DaemonOptions extends LoadOptions {
  clock?: Clock;
  /** Where logs go (tests capture them); default stdout. */
  logDestination?: DestinationStream;
  /** Where logs go for a `log.format` (the entry point knows its terminal); default JSON to stdout. */
  logDestinationFor?: (format: 'auto' | 'pretty' | 'json') => DestinationStream | undefined;
}

export interface Daemon {
  readonly config: BerthConfig;
  readonly url: string;
  readonly logger: Logger;
  readonly store: Store;
  readonly runtime: RuntimeDriver;
  readonly runtimeStatus: RuntimeStatus;
  readonly instances: InstanceService;
  readonly reconciler: Reconciler;
  /** Workspace snapshots (the rollout calls snapshots.snapshotBeforeUpgrade before it replaces a container). */
  readonly snapshots: SnapshotService;
  /** Every HTTP route as registered, and whether it demands a token. */
  readonly routes: readonly RouteRecord[];
  /** Graceful stop: no new connections, in-flight work finishes within the grace period. */
  stop(reason?: string): Promise<void>;
  /** During a stop, what it is waiting for (the HTTP server, a service by name, the store). */
  stopStage(): string | undefined;
}

/**
 * The composition root of `berth serve`: loads config once, builds every part with its
 * dependencies, and starts them in phases. Nothing else reads the environment.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const version = readVersion();

  const configStarted = performance.now();
  const { config, source } = loadConfig(options);
  const logger = createLogger(config.log.level, options.logDestination ?? options.logDestinationFor?.(config.log.format));
  logger.info({ phase: 'config', ms: Math.round(performance.now() - configStarted), source: source ?? '(defaults + env)', version }, 'boot phase config done');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Whatever the umask: the data dir holds the store, the secret key and the admin token.
  chmodSync(config.dataDir, 0o700);

  const health = new HealthRegistry();
  const metrics = new Registry();
  // prom-client names them process_* and nodejs_*: one berth_ prefix gives berth_process_cpu_user_seconds_total.
  collectDefaultMetrics({ register: metrics, prefix: 'berth_' });
  let ready = false;
  const services: Service[] = [];

  // Phase: store — connect, migrate, first-boot admin token.
  const illegalTransitions = runningUnderTests() ? 'throw' : 'log';
  const store = openStore({ url: config.database.url, dataDir: config.dataDir, repositories: { clock, logger: logger.child({ component: 'store' }), illegalTransitions } });
  let tokens: TokenService;
  let events: EventLog;
  let secretBox: SecretBox;
  let secretKeyFile = '';
  try {
    await phase(logger, 'store', async () => {
      await store.ping();
      const applied = await store.migrate();
      logger.info({ store: store.dialect, location: store.location, applied }, 'store ready');
      tokens = new TokenService(store.repos.tokens, clock);
      events = new EventLog(store.repos.events, clock, logger.child({ component: 'events' }));
      const secretKey = loadOrCreateSecretKey(config.dataDir);
      secretBox = new SecretBox(secretKey.key);
      secretKeyFile = path.resolve(secretKey.file);
      if (secretKey.created) logger.info({ file: secretKey.file }, 'created the secrets key (mode 0600); back it up with the store');
      const admin = await ensureAdminToken(tokens, config.dataDir);
      if (admin.created) logger.info({ file: admin.file }, 'created the admin token; it is in this file (mode 0600)');
      else logger.info({ file: admin.file }, 'admin token exists');
    });
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  let storeUp = true;
  health.register('store', () => (storeUp ? { status: 'up', detail: store.dialect } : { status: 'down', detail: 'store does not answer' }));

  // Phase: runtime — degraded (not fatal) when no engine answers.
  // Several berths on one Postgres store: leases choose the one that runs the loops, locks fence instance actions.
  const processId = config.cluster.processId || `${hostname()}:${process.pid}`;
  const shared = store.dialect === 'postgres';
  const monitorRepo = store.repos.monitorFor({ processId });
  // Counted in the background, not per scrape: /metrics is open and may be scraped often.
  const statusCounts = new RefreshedValue(() => monitorRepo.countByStatus(), 5000, [] as Array<{ status: string; count: number }>);
  await statusCounts.start();
  const monitorMetrics = new MonitorMetrics(metrics, async () => statusCounts.get());
  const engineTls = { verify: config.docker.tlsVerify, certPath: config.docker.certPath };
  const firewall = new EgressFirewall(execFileRunner);
  const dockerDriver = new DockerDriver(connectDocker(config.docker.host, 30_000, engineTls), config.docker.host, connectDocker(config.docker.host, 0, engineTls), firewall);
  // runtime.driver picks the engine behind the port; swarm never silently falls back to docker.
  const swarm: SwarmDriver | undefined = config.runtime.driver === 'swarm'
    ? createSwarmDriver(config, store.repos.workspaceNodes)
    : undefined;
  // One limiter bounds every engine-mutating call, whoever makes it (API, monitor, reconciler, jobs).
  const engine = new EngineLimiter(config.runtime.engineConcurrency ?? config.monitor.restartConcurrency);
  const runtime: RuntimeDriver = limitEngineCalls(instrumentRuntime(
    swarm ?? dockerDriver,
    (operation, error) => monitorMetrics.runtimeError(operation, error),
  ), engine);
  const runtimeStatus = new RuntimeStatus(runtime, logger.child({ component: 'runtime' }), clock, config.docker.retrySeconds * 1000);
  await phase(logger, 'runtime', async () => {
    const state = await runtimeStatus.check();
    if (state !== 'up') logger.warn({ host: config.docker.host, reason: runtimeStatus.lastError }, 'no container engine answers; starting degraded');
    runtimeStatus.start();
  });
  health.register('runtime', () => ({
    status: runtimeStatus.state === 'up' ? 'up' : 'down',
    // Open endpoint: no engine address or raw error here (the log and `berth doctor` have them).
    detail: runtimeStatus.state === 'up' ? `${runtimeStatus.info?.engine} ${runtimeStatus.info?.version}` : 'the container engine does not answer',
  }));

  health.register('disk-limits', () => diskLimitsHealth(dockerDriver.diskLimitSupport()));
  const egress = await boundEgress(dockerDriver, config.runtime.scope, runtimeStatus.state === 'up', logger.child({ component: 'egress' }));
  health.register('egress', () => egress.health());

  const lockStore = shared ? store.repos.instanceLocks : undefined;
  // An earlier run of this process id that died (SIGKILL) left its instance locks: they are ours to drop.
  const dropped = lockStore ? await lockStore.releaseHolder(processId) : 0;
  if (dropped) logger.info({ processId, locks: dropped }, 'released instance locks an earlier run of this process left');
  // Instances and the reconciler: the reconciler's boot pass runs before HTTP.
  const quotas = new TenantQuotas(store.repos.tenants, resolvePlans(config), config.tenants.defaults, clock);
  const seeder = seederSlot();
  const instances = createInstances({
    config, store, runtime, gate: runtimeStatus, secrets: secretBox!, events: events!, clock, logger: logger.child({ component: 'instances' }), quota: quotas, seeder,
    countRestart: (cause) => monitorMetrics.restarts.inc({ reason: cause }),
    processId, ...(lockStore ? { lockStore } : {}),
  });
  // Workspace snapshots (and workspace.fromSnapshot on create).
  const snapshots = createSnapshots({ config, repo: store.repos.snapshots, instances, runtime, gate: runtimeStatus, events: events!, clock, logger: logger.child({ component: 'snapshots' }) });
  seeder.bind(snapshots.restore);
  const leading = (): boolean => leaderLoops.leadership.isLeader();
  const reconciler = new Reconciler({
    repo: instances.repo, networksRepo: instances.networksRepo, workspaces: instances.workspaces, provisioner: instances.provisioner, networks: instances.networks,
    watcher: instances.watcher, runtime, status: runtimeStatus, lock: instances.locks, events: events!, clock, leading,
    logger: logger.child({ component: 'reconciler' }), scope: config.runtime.scope, bindAddress: config.runtime.bindAddress,
    intervalMs: config.monitor.reconcileIntervalSeconds * 1000, exitHandler: new RestartOnExit(instances.service),
    concurrency: config.monitor.restartConcurrency,
    onPass: (seconds, outcome) => monitorMetrics.observeReconcile(seconds, outcome),
  });
  services.push(snapshots.recovery);

  // Monitor: probes, runtime events and the restart policy (also the reconciler's exit policy).
  const alerts = new AlertDispatcher({
    webhooks: config.alerts.webhooks, clock, logger: logger.child({ component: 'alerts' }),
    onResult: (event, result) => monitorMetrics.alerts.inc({ event, result }),
  });
  const supervision = new SupervisionService({
    runtime, gate: runtimeStatus, instances: instances.service, events: events!, clock,
    config: { ...config.supervision, planScanDir: (plan) => instances.plans.get(plan)?.scanDir },
  });
  const serviceHealth = new ServiceHealth(runtime, supervision.locator, events!, clock, (i) => supervision.preferredScanDir(i));
  const serviceWatch = new ServiceWatch({
    instances: async () => (await instances.repo.listAll()).map((r) => ({
      id: r.id, name: r.name, tenant: r.tenant, plan: r.plan, containerId: r.containerId, status: r.status, startedAt: r.startedAt,
      health: JSON.stringify(r.health), scanDir: r.scanDir,
    })),
    locator: supervision.locator, preferredScanDir: (i) => supervision.preferredScanDir(i), events: events!, clock,
    logger: logger.child({ component: 'service-watch' }), intervalMs: config.supervision.watchIntervalSeconds * 1000, concurrency: config.supervision.watchConcurrency,
  });
  supervision.onAction((id, service, state) => serviceWatch.note(id, service, state));
  // One monitor per leadership term; its writes are fenced by the term's token (Postgres).
  const makeMonitor = (term: LeaderTerm | undefined): Monitor => new Monitor({
    serviceCheck: (target) => serviceHealth.check(target),
    config, runtime, runtimeStatus, events: events!, alerts, metrics: monitorMetrics, engine, restartPath: instances.restarts, clock, logger: logger.child({ component: 'monitor' }),
    repo: term ? store.repos.monitorFor({ processId, fence: { name: term.lease, token: term.token } }) : monitorRepo,
    leading, instanceLock: instances.locks, processId,
  });
  let monitor: Monitor | undefined;
  // Revisions, health-gated upgrades and fleet rollouts. The gate is judged by the monitor's
  // rules in whichever process runs the upgrade (a follower too), so it has a prober of its own.
  const upgrades = createUpgrades({
    instances, repos: upgradeRepos(store), runtime, gate: runtimeStatus, secrets: secretBox!, events: events!, alerts, bindAddress: config.runtime.bindAddress,
    spec: { plans: instances.plans, defaultPlan: config.defaultPlan, defaultImage: config.runtime.defaultImage, defaultPort: config.runtime.defaultPort, allowedImages: config.runtime.allowedImages },
    defaults: config.rollout, quota: quotas, clock, logger: logger.child({ component: 'upgrades' }),
    // Plans with snapshots.beforeUpgrade keep the workspace as it was before each rollout.
    beforeRollout: async (instance) => {
      await snapshots.service.snapshotBeforeUpgrade(instance);
    },
  });
  const gateProber = new HttpProber(probeHost(config.runtime.bindAddress));
  upgrades.healthGate.attach({
    judge: (target, deadlineMs, abandon) => judgeRollout({ config, prober: gateProber, runtime, clock, startProbeIntervalMs: 1000, serviceCheck: (t) => serviceHealth.check(t) }, target, deadlineMs, abandon),
  });
  // Plan disk: measured and alerted on (enforced too where the storage driver can).
  const diskWatch = new DiskWatch({
    instances: async () => (await instances.repo.listAll()).map((r) => ({ id: r.id, name: r.name, tenant: r.tenant, plan: r.plan, containerId: r.containerId, status: r.status })),
    plans: instances.plans, measure: () => dockerDriver.diskUsageAll(), record: (e) => events!.append(e), notify: (a) => alerts.notify(a),
    now: () => new Date(clock.now()).toISOString(), logger: logger.child({ component: 'disk-watch' }), intervalMs: config.monitor.diskCheckSeconds * 1000,
  });
  // The loops run where the lease is held (with SQLite: here, always). Every process serves the API.
  const leaderLoops: LeaderLoops = new LeaderLoops({
    leases: shared ? store.repos.leases : undefined, scope: config.runtime.scope, processId,
    leaseMs: config.cluster.leaseSeconds * 1000, pollMs: config.cluster.pollSeconds * 1000, clock, logger: logger.child({ component: 'leadership' }),
    metrics, record: (...e) => events!.record(...e),
    termServices: (term) => {
      const m = makeMonitor(term);
      monitor = m;
      // The monitor is the one health judge: it watches every new start, even with its loop disabled.
      instances.watcher.attach(m);
      const loops: Service[] = [reconciler];
      if (config.monitor.enabled) {
        reconciler.setExitHandler(m.exitHandler);
        m.setReconcileTrigger(() => reconciler.trigger('runtime event stream reconnected'));
        loops.push(m);
        // Non-critical s6 services: events only, on the leader like the rest of the watching.
        if (config.supervision.watchIntervalSeconds > 0) loops.push({ name: 'service-watch', start: () => serviceWatch.start(), stop: () => serviceWatch.stop() });
      }
      // Fleet rollouts advance on the leader only (each item's upgrade runs under the instance's store lock).
      loops.push(upgrades.runner);
      loops.push({ name: 'disk-watch', start: async () => diskWatch.start(), stop: () => diskWatch.stop() });
      return loops;
    },
  });
  // On stop: background creates are awaited, then the leader loops (monitor, reconciler's pass), then alerts.
  services.push({ name: 'alerts', start: async () => undefined, stop: () => alerts.stop() }, leaderLoops,
    { name: 'background-creates', start: async () => undefined, stop: () => instances.service.shutdown() });
  health.register('monitor', () => {
    if (!config.monitor.enabled) return { status: 'disabled', detail: 'monitor.enabled is false' };
    if (!leaderLoops.leadership.isLeader()) return { status: 'up', detail: `follower: the leader (${leaderLoops.status().leader ?? 'none yet'}) runs the monitor` };
    return monitor?.health() ?? { status: 'starting' };
  });

  // Scheduler: cron jobs from the store; pushed last so it starts after the reconciler and monitor.
  const scheduling = createScheduler({
    config, store, runtime, events: events!, clock, logger: logger.child({ component: 'scheduler' }), metrics,
    restartInstance: async (id, actor, reason) => {
      await instances.service.restartContainer(id, actor, reason);
    },
    quota: quotas,
    secretsOf: instanceSecretValues(instances.repo, secretBox!),
    snapshotInstance: (id, mode, actor) => snapshots.service.create(id, { mode, trigger: 'scheduled' }, actor, SYSTEM_VIEWER),
  });
  // After the leader loops: interrupted upgrades are resumed (under the store lock, so one process runs each).
  services.push(upgrades.worker);
  // Plans' snapshots.schedule run as internal jobs (snapshots-<plan>).
  await syncPlanSnapshotJobs(scheduling.jobs, instances.plans, logger.child({ component: 'snapshots' }));
  services.push(scheduling.scheduler);
  services.push(new RetentionLoop({ repo: store.repos.retention, settings: config.retention, clock, logger: logger.child({ component: 'retention' }) }));
  health.register('scheduler', () => scheduling.scheduler.health());

  // Phases: reconcile, then monitor and scheduler. Services are started in order, stopped in reverse.
  for (const service of services) await phase(logger, service.name, () => service.start());

  // Phase: HTTP. (supervision: s6 services inside containers, through the Engine API only.)
  const streams = new StreamSlots({ perToken: config.streams.maxPerToken, total: config.streams.maxTotal, maxSeconds: config.streams.maxSeconds });
  // The dashboard's live fleet: one store read a second for every open stream together.
  const fleetFeed = new FleetFeed({
    read: wholeFleet(instances.service), clock, intervalMs: 1000,
    onError: (error) => logger.warn({ reason: describeError(error) }, 'fleet stream read failed'),
  });
  const routes: RouteModule[] = [
    systemRoutes({ version, startedAt, now: () => clock.now(), health, store, metrics, isReady: () => ready, cluster: () => leaderLoops.status() }),
    tokenRoutes(tokens!),
    dockerRoutes(runtime, runtimeStatus),
    instanceRoutes({ instances: instances.service, events: events!, runtime, status: runtimeStatus, secretsOf: instanceSecretValues(instances.repo, secretBox!), streams }),
    planRoutes(instances.plans, config.defaultPlan),
    eventRoutes(events!, instances.service),
    fleetStreamRoutes({ feed: fleetFeed, streams }),
    jobRoutes(scheduling.jobs, scheduling.scheduler),
    uiSessionRoutes({ tokens: tokens!, now: () => clock.now() }),
    imageRoutes(config.runtime.defaultImage, config.runtime.allowedImages),
    serviceRoutes({ supervision, runtime, clock }),
    nodeRoutes({ nodes: swarm?.nodes, scope: config.runtime.scope, status: runtimeStatus, events: events! }),
    tenantRoutes(quotas),
    revisionRoutes({ revisions: upgrades.revisions, submit: (id) => upgrades.worker.submit(id), instanceAfter: (id, viewer) => instances.service.get(id, viewer), clock }),
    rolloutRoutes(upgrades.rollouts),
    snapshotRoutes(snapshots.service, snapshots.restore),
    backupRoutes({ store, dataDir: config.dataDir, secretKeyFile }),
    workspaceRoutes(new WorkspaceService({
      repo: instances.workspaces, runtime, gate: runtimeStatus, events: events!,
      sizes: new WorkspaceSizes({ ...(runtime.volumeSizes ? { measure: () => runtime.volumeSizes!() } : {}), clock, maxAgeMs: 60_000, waitMs: 5_000 }),
    })),
    gcRoutes({ repo: instances.repo, workspaces: instances.workspaces, networksRepo: instances.networksRepo, runtime, scope: config.runtime.scope, now: () => clock.now(), status: runtimeStatus, events: events! }),
  ];
  const app = await buildApp({ logger, tokens: tokens!, metrics, version, bodyLimitBytes: config.server.bodyLimitBytes, routes, rateLimit: config.rateLimit, now: () => clock.now() });
  await phase(logger, 'http', async () => {
    await app.listen({ host: config.server.host, port: config.server.port });
  });
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  ready = true;
  logger.info({ url, ms: clock.now() - startedAt }, 'berth is ready');

  // The store is checked in the background so /health and /ready reflect an outage.
  const storeTimer = setInterval(() => {
    store.ping().then(() => { storeUp = true; }, () => { storeUp = false; });
  }, 5000);
  storeTimer.unref();

  let stopping: Promise<void> | undefined;
  let stage: string | undefined;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      logger.info({ reason, graceSeconds: config.server.shutdownGraceSeconds }, 'shutting down');
      clearInterval(storeTimer);
      statusCounts.stop();
      const grace = config.server.shutdownGraceSeconds * 1000;
      const forced = setTimeout(() => {
        logger.warn('grace period over; closing remaining connections');
        app.server.closeAllConnections();
      }, grace);
      forced.unref();
      stage = 'http';
      await app.close().catch((error: unknown) => logger.warn({ err: error }, 'http close failed'));
      for (const service of [...services].reverse()) {
        stage = service.name;
        await service.stop().catch((error: unknown) => logger.warn({ service: service.name, reason: describeError(error) }, 'service stop failed'));
      }
      runtimeStatus.stop();
      clearTimeout(forced);
      stage = 'store';
      await store.close();
      stage = undefined;
      logger.info('berth stopped; tenant containers keep running');
    })();
    return stopping;
  };

  void events!;
  return { config, url, logger, store, runtime, runtimeStatus, instances: instances.service, reconciler, snapshots: snapshots.service, routes: routesOf(app), stop, stopStage: () => stage };
}
