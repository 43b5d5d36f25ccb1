import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { BerthConfig } from '../../config/schema.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { NetworksRepo } from '../../store/repositories/networks-repo.js';
import type { WorkspacesRepo } from '../../store/repositories/workspaces-repo.js';
import type { Store } from '../../store/store.js';
import type { EventLog } from '../events/event-log.js';
import { NetworkManager } from '../networks/network-manager.js';
import { SubnetPool } from '../networks/subnet-pool.js';
import { resolvePlans, type PlanCatalog } from '../plans/resolve-plans.js';
import { PortAllocator } from '../ports/port-allocator.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { checkOperatorMounts, type RuntimeSettings } from './container-spec.js';
import { StartWatcherSlot } from './start-watcher.js';
import { InstanceProvisioner } from './instance-provisioner.js';
import { InstanceService, type InstanceServiceOptions, type RuntimeGate } from './instance-service.js';
import { KeyedLock } from './keyed-lock.js';
import { RestartPath, type RestartPathOptions } from './restart-path.js';
import { InstanceLocks, type InstanceLockStore } from './instance-locks.js';

export interface InstancesDeps {
  config: BerthConfig;
  store: Store;
  runtime: RuntimeDriver;
  gate: RuntimeGate;
  secrets: SecretBox;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  /** The tenant quota, checked atomically with each insert. */
  quota?: InstanceServiceOptions['quota'];
  /** Counts each restart (berth_restarts_total), whichever path asked for it. */
  countRestart?: RestartPathOptions['count'];
  /** Fills a new instance's workspace from a snapshot (workspace.fromSnapshot). */
  seeder?: InstanceServiceOptions['seeder'];
  /** Several berths on one store (Postgres): the per-instance locks shared between them. */
  lockStore?: InstanceLockStore;
  /** Names this process in lock rows (cluster.processId). */
  processId?: string;
}

export interface Instances {
  service: InstanceService;
  provisioner: InstanceProvisioner;
  /** Attach the monitor here: it judges a new container's first health. */
  watcher: StartWatcherSlot;
  networks: NetworkManager;
  repo: InstancesRepo;
  networksRepo: NetworksRepo;
  plans: PlanCatalog;
  lock: KeyedLock;
  /** Per-instance locks across processes (withInstanceLock): API actions, the reconciler, restarts. */
  locks: InstanceLocks;
  workspaces: WorkspacesRepo;
  /** The one restart path: hand it to the monitor so it sees every restart berth makes. */
  restarts: RestartPath;
}

/** Builds the instance domain from config: plans, ports, networks, provisioner and the service. */
export function createInstances(d: InstancesDeps): Instances {
  const { config, clock } = d;
  const now = (): string => new Date(clock.now()).toISOString();
  checkOperatorMounts(config.runtime.mounts, config.docker.host);
  const plans = resolvePlans(config);
  const { instances: repo, networks: networksRepo, workspaces, admission } = d.store.repos;
  const lock = new KeyedLock();
  const locks = new InstanceLocks({
    local: lock, ...(d.lockStore ? { store: d.lockStore } : {}), holder: d.processId ?? 'berth',
    ttlMs: config.cluster.instanceLockSeconds * 1000, waitMs: config.cluster.lockWaitSeconds * 1000, clock, logger: d.logger,
  });
  const bindAddress = config.runtime.bindAddress;
  const ports = new PortAllocator({ start: config.ports.start, end: config.ports.end, bindAddress });
  const networks = new NetworkManager({
    runtime: d.runtime, repo: networksRepo, lock, logger: d.logger, scope: config.runtime.scope,
    sharedName: config.network.sharedName, sharedSubnet: config.network.sharedSubnet,
    pool: new SubnetPool(config.network.subnetPool, config.network.subnetPrefix), now,
  });
  const settings: RuntimeSettings = {
    scope: config.runtime.scope,
    bindAddress,
    user: config.runtime.user,
    logMaxSize: config.runtime.logMaxSize,
    logMaxFile: config.runtime.logMaxFile,
    stopTimeoutSeconds: config.runtime.stopTimeoutSeconds,
    nofile: config.runtime.nofile,
    env: config.runtime.env,
    mounts: config.runtime.mounts,
  };
  const watcher = new StartWatcherSlot();
  const restarts = new RestartPath({ clock, events: d.events, ...(d.countRestart ? { count: d.countRestart } : {}) });
  const provisioner = new InstanceProvisioner({
    runtime: d.runtime, repo, networks, plans, settings, secrets: d.secrets, ports, watcher,
    events: d.events, clock, logger: d.logger, workspaces,
  });
  const service = new InstanceService({
    repo, provisioner, watcher, networks, ports, secrets: d.secrets, runtime: d.runtime, gate: d.gate,
    events: d.events, lock: locks, restarts, clock, logger: d.logger, scope: config.runtime.scope, bindAddress,
    admission, workspaces, ...(d.quota ? { quota: d.quota } : {}), ...(d.seeder ? { seeder: d.seeder } : {}),
    spec: {
      plans, defaultPlan: config.defaultPlan, defaultImage: config.runtime.defaultImage,
      defaultPort: config.runtime.defaultPort, allowedImages: config.runtime.allowedImages,
    },
  });
  return { service, provisioner, watcher, networks, repo, networksRepo, plans, lock, locks, workspaces, restarts };
}
