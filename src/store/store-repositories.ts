import type { Kysely } from 'kysely';
import type { Clock } from '../common/clock.js';
import type { IllegalTransitionPolicy } from '../common/instance-status.js';
import type { Logger } from '../common/logger.js';
import type { Database } from './database.js';
import { EventsRepo } from './repositories/events-repo.js';
import { InstanceAdmission } from './repositories/instance-admission.js';
import { InstancesRepo } from './repositories/instances-repo.js';
import { JobsRepo } from './repositories/jobs-repo.js';
import { JobAdmission } from './repositories/job-admission.js';
import { MonitorRepo, type MonitorRepoOptions } from './repositories/monitor-repo.js';
import { LeasesRepo } from './repositories/leases-repo.js';
import { InstanceLocksRepo } from './repositories/instance-locks-repo.js';
import { NetworksRepo } from './repositories/networks-repo.js';
import { RetentionRepo } from './repositories/retention-repo.js';
import { RevisionsRepo } from './repositories/revisions-repo.js';
import { RolloutsRepo } from './repositories/rollouts-repo.js';
import { SnapshotsRepo } from './repositories/snapshots-repo.js';
import { UpgradesRepo } from './repositories/upgrades-repo.js';
import { TenantsRepo } from './repositories/tenants-repo.js';
import { TokensRepo } from './repositories/tokens-repo.js';
import { WorkspacesRepo } from './repositories/workspaces-repo.js';
import { WorkspaceNodesRepo } from './repositories/workspace-nodes-repo.js';
import type { StoreDialect } from './store-dialect.js';

/** Every repository over one store: what the rest of berth gets instead of a database handle. */
export interface Repositories {
  instances: InstancesRepo;
  admission: InstanceAdmission;
  monitor: MonitorRepo;
  networks: NetworksRepo;
  workspaces: WorkspacesRepo;
  events: EventsRepo;
  tokens: TokensRepo;
  tenants: TenantsRepo;
  jobs: JobsRepo;
  /** Job creates admitted against the tenant's maxJobs in one transaction. */
  jobAdmission: JobAdmission;
  retention: RetentionRepo;
  revisions: RevisionsRepo;
  upgrades: UpgradesRepo;
  rollouts: RolloutsRepo;
  /** Which cluster node holds each workspace volume (runtime.driver swarm). */
  workspaceNodes: WorkspaceNodesRepo;
  snapshots: SnapshotsRepo;
  /** Leadership leases (several berths on one Postgres store). */
  leases: LeasesRepo;
  /** Per-instance locks shared by every berth process on the store. */
  instanceLocks: InstanceLocksRepo;
  /** A monitor repository naming this process, and fenced by a leader term's token when given. */
  monitorFor(options: Pick<MonitorRepoOptions, 'processId' | 'fence'>): MonitorRepo;
}

export interface RepositoryOptions {
  /** Stamps updated_at and the monitor's times; the daemon's clock (a manual one in tests). */
  clock: Pick<Clock, 'now'>;
  /** Stale status writers (debug) and illegal transitions under the `log` policy (error). */
  logger?: Logger;
  /** `throw` in tests: an illegal transition is a bug; `log` in production. */
  illegalTransitions: IllegalTransitionPolicy;
}

export function createRepositories(db: Kysely<Database>, dialect: StoreDialect, o: RepositoryOptions): Repositories {
  const iso = (): string => new Date(o.clock.now()).toISOString();
  const status = { illegalTransitions: o.illegalTransitions, ...(o.logger ? { logger: o.logger } : {}) };
  return {
    instances: new InstancesRepo(db, iso, status),
    admission: new InstanceAdmission(db, dialect),
    monitor: new MonitorRepo(db, () => o.clock.now(), status),
    networks: new NetworksRepo(db),
    workspaces: new WorkspacesRepo(db),
    events: new EventsRepo(db, dialect),
    tokens: new TokensRepo(db),
    tenants: new TenantsRepo(db),
    jobs: new JobsRepo(db, dialect),
    jobAdmission: new JobAdmission(db, dialect),
    retention: new RetentionRepo(db),
    revisions: new RevisionsRepo(db),
    upgrades: new UpgradesRepo(db),
    rollouts: new RolloutsRepo(db),
    workspaceNodes: new WorkspaceNodesRepo(db, iso),
    snapshots: new SnapshotsRepo(db),
    leases: new LeasesRepo(db),
    instanceLocks: new InstanceLocksRepo(db),
    monitorFor: (options) => new MonitorRepo(db, () => o.clock.now(), { ...status, ...options }),
  };
}
