import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstancePatch, InstanceRecord } from '../../store/repositories/instances-repo.js';
import type { RevisionsRepo } from '../../store/repositories/revisions-repo.js';
import type { UpgradesRepo } from '../../store/repositories/upgrades-repo.js';
import type { TenantHoldings } from '../../store/repositories/instance-admission.js';
import type { InstanceService, RuntimeGate } from '../instances/instance-service.js';
import { specHash, type SpecDefaults } from '../instances/instance-spec.js';
import type { Instance, InstanceSpec, Viewer } from '../instances/instance-types.js';
import type { KeyedLock } from '../instances/keyed-lock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { applyPatch, toRevisionSpec } from './instance-patch.js';
import type { InstancePatchInput, Revision, RevisionSpec, RevisionView, RolloutOptions, Upgrade, UpgradeKind } from './upgrade-types.js';

export interface RevisionServiceOptions {
  instances: Pick<InstanceService, 'find' | 'get'>;
  revisions: RevisionsRepo;
  upgrades: UpgradesRepo;
  secrets: SecretBox;
  runtime: Pick<RuntimeDriver, 'imageExists'>;
  gate: RuntimeGate;
  spec: SpecDefaults;
  /** Network name of a tenant's instance on a plan (a plan change may move it). */
  networkNameFor: (tenant: string, plan: string) => string | null;
  quota?: { prepare(tenant: string, plan: string): Promise<(holdings: TenantHoldings) => void> };
  /** Runs an upgrade record (in the background unless waited on). */
  run: (upgradeId: string) => Promise<Upgrade>;
  /** Serializes the short admission step per instance (never held while a rollout runs). */
  lock: KeyedLock;
  defaults: RolloutOptions;
  clock: Clock;
}

export interface ChangeOptions {
  rollout?: Partial<RolloutOptions>;
  reason?: string;
  /** Set by a fleet rollout: the upgrade belongs to it. */
  rolloutId?: string;
}

export interface ChangeResult {
  instance: Instance;
  /** The new revision, or null for a no-op patch. */
  revision: RevisionView | null;
  upgrade: Upgrade | null;
}

/**
 * Revisions of instances: PATCH makes a new one (validated like a create, nothing written on a
 * refusal) and queues its health-gated rollout; rollback queues a rollout to an earlier one.
 */
export class RevisionService {
  constructor(private readonly o: RevisionServiceOptions) {}

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  /** A revision's spec as the instance row's columns. */
  columnsOf(row: Pick<InstanceRecord, 'tenant' | 'name'>, r: Revision): InstancePatch {
    const secrets = r.secretsSealed ? this.o.secrets.open(r.secretsSealed) : {};
    const spec: InstanceSpec = { tenant: row.tenant, name: row.name, ...r.spec, secrets };
    delete (spec as Partial<RevisionSpec>).secretNames;
    return {
      image: r.spec.image, command: r.spec.command, env: r.spec.env,
      secretsSealed: r.secretsSealed, secretNames: r.spec.secretNames, plan: r.spec.plan, containerPort: r.spec.port,
      health: r.spec.health, specHash: specHash(spec, this.o.secrets.digest(secrets)), networkName: this.o.networkNameFor(row.tenant, r.spec.plan),
    };
  }

  /** The instance's revisions, newest first (secret values never; names only). */
  async list(idOrName: string, viewer: Viewer): Promise<{ items: RevisionView[]; total: number; current: number; previous: number | null }> {
    const row = await this.o.instances.find(idOrName, viewer);
    await this.baseline(row);
    const items = (await this.o.revisions.list(row.id)).map((r) => this.view(r, row.revision));
    return { items, total: items.length, current: row.revision, previous: row.previousRevision };
  }

  async upgradesOf(idOrName: string, viewer: Viewer): Promise<Upgrade[]> {
    const row = await this.o.instances.find(idOrName, viewer);
    return this.o.upgrades.listFor(row.id);
  }

  /** Applies a PATCH: a new revision and its rollout, or nothing when nothing changes. */
  async patch(idOrName: string, input: InstancePatchInput, options: ChangeOptions, actor: string, viewer: Viewer): Promise<ChangeResult> {
    const found = await this.o.instances.find(idOrName, viewer);
    const rollout = this.rolloutOptions(options.rollout);
    return this.o.lock.run(`revision:${found.id}`, async () => {
      const row = await this.current(found.id, viewer, idOrName);
      const base = await this.baseline(row);
      const { spec, changed } = applyPatch({ tenant: row.tenant, name: row.name, spec: base.spec, secrets: base.secretsSealed ? this.o.secrets.open(base.secretsSealed) : {} }, input, this.o.spec);
      if (!changed.length) return { instance: await this.o.instances.get(row.id, viewer), revision: null, upgrade: null };
      if (changed.includes('image')) {
        this.o.gate.require();
        if (!(await this.o.runtime.imageExists(spec.image))) {
          throw new BerthError('IMAGE_NOT_FOUND', `image: ${spec.image} is not present on the container engine; berth does not pull or build images implicitly`, { field: 'image' });
        }
      }
      if (changed.includes('plan')) await this.checkPlan(row, spec.plan);
      const revision = await this.writeRevision(row, {
        spec: toRevisionSpec(spec), secretsSealed: Object.keys(spec.secrets).length ? this.o.secrets.seal(spec.secrets) : null,
        changed, actor, reason: options.reason ?? null,
      });
      const upgrade = await this.queue(row, revision.revision, 'upgrade', rollout, actor, options.rolloutId ?? null);
      return { instance: await this.o.instances.get(row.id, viewer), revision: this.view(revision, row.revision), upgrade };
    });
  }

  /** Goes back to `revision` (default: the previous one), health-gated like any rollout. */
  async rollback(idOrName: string, target: number | undefined, options: ChangeOptions, actor: string, viewer: Viewer): Promise<ChangeResult> {
    const found = await this.o.instances.find(idOrName, viewer);
    const rollout = this.rolloutOptions(options.rollout);
    return this.o.lock.run(`revision:${found.id}`, async () => {
      const row = await this.current(found.id, viewer, idOrName);
      await this.baseline(row);
      const to = target ?? row.previousRevision ?? row.revision - 1;
      if (to === row.revision) throw BerthError.invalid('revision', `instance ${row.name} is on revision ${to} already`);
      const revision = to >= 1 ? await this.o.revisions.get(row.id, to) : undefined;
      if (!revision) throw BerthError.invalid('revision', target === undefined ? `instance ${row.name} has no earlier revision to go back to` : `instance ${row.name} has no revision ${to}`);
      if (revision.spec.plan !== row.plan) await this.checkPlan(row, revision.spec.plan);
      const upgrade = await this.queue(row, to, 'rollback', rollout, actor, options.rolloutId ?? null);
      return { instance: await this.o.instances.get(row.id, viewer), revision: this.view(revision, row.revision), upgrade };
    });
  }

  /** Revision 1 for an instance made before revisions were written at create (or whose first write was lost). */
  private async baseline(row: InstanceRecord): Promise<Revision> {
    const existing = await this.o.revisions.get(row.id, row.revision);
    if (existing) return existing;
    const r: Revision = {
      instanceId: row.id, revision: row.revision, tenant: row.tenant, secretsSealed: row.secretsSealed, changed: [], actor: 'berth', reason: 'the spec as it was',
      createdAt: row.createdAt,
      spec: {
        image: row.image, command: row.command, env: row.env,
        secretNames: row.secretNames, plan: row.plan, port: row.containerPort, health: row.health,
      },
    };
    await this.o.revisions.insert(r);
    return (await this.o.revisions.get(row.id, row.revision)) ?? r;
  }

  private async current(id: string, viewer: Viewer, idOrName: string): Promise<InstanceRecord> {
    const row = await this.o.instances.find(id, viewer).catch(() => undefined);
    if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `no instance ${idOrName}`);
    if (row.status === 'creating' || row.status === 'deleting') throw new BerthError('INVALID_STATE', `instance ${row.name} is ${row.status}; try again when it is done`);
    const active = await this.o.upgrades.activeFor(row.id);
    if (active) throw new BerthError('INVALID_STATE', `instance ${row.name} has a rollout to revision ${active.toRevision} in progress (${active.id}); wait for it to finish`);
    return row;
  }

  private async writeRevision(row: InstanceRecord, r: Pick<Revision, 'spec' | 'secretsSealed' | 'changed' | 'actor' | 'reason'>): Promise<Revision> {
    for (;;) {
      const number = (await this.o.revisions.latest(row.id)) + 1;
      const revision: Revision = { ...r, instanceId: row.id, revision: number, tenant: row.tenant, createdAt: this.now() };
      if (await this.o.revisions.insert(revision)) return revision;
    }
  }

  private async queue(row: InstanceRecord, to: number, kind: UpgradeKind, rollout: RolloutOptions, actor: string, rolloutId: string | null): Promise<Upgrade> {
    const upgrade: Upgrade = {
      id: newId('upg_', this.o.clock.now()), instanceId: row.id, tenant: row.tenant, rolloutId, kind, fromRevision: row.revision, toRevision: to,
      status: 'pending', phase: 'pending', oldContainerId: null, newContainerId: null, healthTimeoutSeconds: rollout.healthTimeoutSeconds,
      failureAction: rollout.failureAction, actor, message: null, downtimeMs: null, createdAt: this.now(), startedAt: null, endedAt: null,
    };
    await this.o.upgrades.insert(upgrade);
    return upgrade;
  }

  private async checkPlan(row: InstanceRecord, plan: string): Promise<void> {
    if (!this.o.quota) return;
    const check = await this.o.quota.prepare(row.tenant, plan);
    // The tenant's holdings without this instance: the check then asks for it on the new plan.
    const others = (await this.o.revisions.tenantPlans(row.tenant)).filter((r) => r.id !== row.id).map((r) => r.plan);
    check({ plans: others });
  }

  private rolloutOptions(given: Partial<RolloutOptions> | undefined): RolloutOptions {
    const healthTimeoutSeconds = given?.healthTimeoutSeconds ?? this.o.defaults.healthTimeoutSeconds;
    if (!Number.isInteger(healthTimeoutSeconds) || healthTimeoutSeconds < 1 || healthTimeoutSeconds > 3600) {
      throw BerthError.invalid('rollout.healthTimeoutSeconds', 'must be an integer from 1 to 3600');
    }
    return { healthTimeoutSeconds, failureAction: given?.failureAction ?? this.o.defaults.failureAction };
  }

  private view(r: Revision, current: number): RevisionView {
    const { secretsSealed: _sealed, ...rest } = r;
    return { ...rest, current: r.revision === current };
  }
}
