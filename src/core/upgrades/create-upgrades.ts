import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { Alert } from '../../alerts/alert-dispatcher.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { UpgradeRepos } from '../../store/repositories/upgrade-repos.js';
import type { TenantHoldings } from '../../store/repositories/instance-admission.js';
import type { EventLog } from '../events/event-log.js';
import type { Instances } from '../instances/create-instances.js';
import type { RuntimeGate } from '../instances/instance-service.js';
import type { SpecDefaults } from '../instances/instance-spec.js';
import type { Instance } from '../instances/instance-types.js';
import { toInstance } from '../instances/instance-view.js';
import { RolloutRunner } from '../rollouts/rollout-runner.js';
import { RolloutService } from '../rollouts/rollout-service.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { HealthGateSlot } from './health-gate.js';
import { RevisionService } from './revision-service.js';
import type { RolloutOptions } from './upgrade-types.js';
import { Upgrader } from './upgrader.js';
import { UpgradeWorker } from './upgrade-worker.js';

export interface UpgradesDeps {
  instances: Instances;
  repos: UpgradeRepos;
  runtime: RuntimeDriver;
  gate: RuntimeGate & { readonly state: string };
  secrets: SecretBox;
  events: EventLog;
  alerts: { notify(alert: Alert): void };
  spec: SpecDefaults;
  defaults: RolloutOptions;
  bindAddress: string;
  quota?: { prepare(tenant: string, plan: string): Promise<(holdings: TenantHoldings) => void> };
  /** A hook run before a rollout stops the old container (workspace snapshots plug in here). */
  beforeRollout?: (instance: Instance) => Promise<void>;
  clock: Clock;
  logger: Logger;
}

export interface Upgrades {
  revisions: RevisionService;
  worker: UpgradeWorker;
  rollouts: RolloutService;
  runner: RolloutRunner;
  /** Attach the monitor here: it judges each rollout's health gate. */
  healthGate: HealthGateSlot;
}

/** Builds revisions, the upgrader and its worker, and fleet rollouts over the instance domain. */
export function createUpgrades(d: UpgradesDeps): Upgrades {
  const { instances, repos, clock } = d;
  const healthGate = new HealthGateSlot();
  // The one place a rollout takes the instance's lock: in-process, plus the store's across berth processes (Postgres).
  const withInstanceLock = <T>(id: string, fn: () => Promise<T>): Promise<T> => instances.locks.run(id, fn);
  const runtimeUp = (): boolean => d.gate.state === 'up';
  const revisions: RevisionService = new RevisionService({
    instances: instances.service, revisions: repos.revisions, upgrades: repos.upgrades, secrets: d.secrets, runtime: d.runtime, gate: d.gate,
    spec: d.spec, lock: instances.lock, defaults: d.defaults, clock, ...(d.quota ? { quota: d.quota } : {}),
    networkNameFor: (tenant, plan) => {
      const p = instances.plans.get(plan);
      return p ? instances.networks.nameFor(tenant, p) : null;
    },
    run: (id) => worker.submit(id),
  });
  const upgrader = new Upgrader({
    repo: instances.repo, revisions: repos.revisions, upgrades: repos.upgrades, provisioner: instances.provisioner, runtime: d.runtime,
    watcher: instances.watcher, gate: healthGate, events: d.events, alerts: d.alerts, withInstanceLock,
    columnsOf: (row, r) => revisions.columnsOf(row, r),
    secretValuesOf: (r) => (r.secretsSealed ? Object.values(d.secrets.open(r.secretsSealed)) : []),
    view: (row) => toInstance(row, d.bindAddress), clock, logger: d.logger,
    ...(d.beforeRollout ? { beforeRollout: d.beforeRollout } : {}),
  });
  const worker = new UpgradeWorker({
    upgrader, upgrades: repos.upgrades, revisions: repos.revisions, repo: instances.repo, provisioner: instances.provisioner, withInstanceLock, runtimeUp, clock, logger: d.logger,
  });
  const rollouts = new RolloutService({
    rollouts: repos.rollouts, repo: instances.repo, revisions, secrets: d.secrets, spec: d.spec, defaults: d.defaults, clock,
    wake: () => runner.wake(),
    imageExists: (image) => {
      d.gate.require();
      return d.runtime.imageExists(image);
    },
    currentOf: async (id) => {
      const row = await instances.repo.get(id);
      if (!row) return undefined;
      return {
        tenant: row.tenant, name: row.name, secrets: row.secretsSealed ? d.secrets.open(row.secretsSealed) : {},
        spec: {
          image: row.image, command: row.command, env: row.env,
          secretNames: row.secretNames, plan: row.plan, port: row.containerPort, health: row.health,
        },
      };
    },
  });
  const runner = new RolloutRunner({
    rollouts: repos.rollouts, upgrades: repos.upgrades, service: rollouts, revisions, submit: (id) => worker.submit(id), events: d.events,
    runtimeUp, clock, logger: d.logger,
  });
  return { revisions, worker, rollouts, runner, healthGate };
}
