import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { InstancesRepo, InstanceTarget } from '../../store/repositories/instances-repo.js';
import type { RolloutsRepo } from '../../store/repositories/rollouts-repo.js';
import type { SpecDefaults } from '../instances/instance-spec.js';
import type { Viewer } from '../instances/instance-types.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { applyPatch } from '../upgrades/instance-patch.js';
import type { RevisionService } from '../upgrades/revision-service.js';
import {
  FAILURE_ACTIONS, type InstancePatchInput, type Rollout, type RolloutItem, type RolloutItemStatus, type RolloutOptions, type RolloutSelector, type RolloutStatus, type RolloutView,
} from '../upgrades/upgrade-types.js';

export interface CreateRolloutInput {
  selector: { tenant?: string; plan?: string; instances?: string[] };
  patch: InstancePatchInput;
  maxParallel?: number;
  maxFailures?: number;
  rollout?: Partial<RolloutOptions>;
}

export interface RolloutServiceOptions {
  rollouts: RolloutsRepo;
  repo: Pick<InstancesRepo, 'listTargets'>;
  revisions: Pick<RevisionService, 'columnsOf'>;
  /** Opens the current secrets of an instance (to check the patch against each instance up front). */
  currentOf: (instanceId: string) => Promise<Parameters<typeof applyPatch>[0] | undefined>;
  secrets: SecretBox;
  spec: SpecDefaults;
  defaults: RolloutOptions;
  /** Whether the engine has an image (a patch naming a missing one is refused up front). */
  imageExists: (image: string) => Promise<boolean>;
  /** Wakes the runner (a new or resumed rollout). */
  wake: () => void;
  clock: Clock;
}

const ITEM_STATUSES: readonly RolloutItemStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const MAX_INSTANCES = 5000;

/**
 * Fleet rollouts: one patch moved over many instances in waves of maxParallel, stopped when
 * more than maxFailures fail. The instance list is fixed when the rollout is made; everything is
 * in the store, so a restarted berth continues (see RolloutRunner). Tenant tokens may make
 * rollouts over their own instances only; an admin's may span tenants.
 */
export class RolloutService {
  constructor(private readonly o: RolloutServiceOptions) {}

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  async create(input: CreateRolloutInput, actor: string, viewer: Viewer): Promise<RolloutView> {
    const selector = this.selector(input.selector, viewer);
    const maxParallel = input.maxParallel ?? 1;
    const maxFailures = input.maxFailures ?? 0;
    if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > 100) throw BerthError.invalid('maxParallel', 'must be an integer from 1 to 100');
    if (!Number.isInteger(maxFailures) || maxFailures < 0) throw BerthError.invalid('maxFailures', 'must be an integer of 0 or more');
    const healthTimeoutSeconds = input.rollout?.healthTimeoutSeconds ?? this.o.defaults.healthTimeoutSeconds;
    if (!Number.isInteger(healthTimeoutSeconds) || healthTimeoutSeconds < 1 || healthTimeoutSeconds > 3600) throw BerthError.invalid('rollout.healthTimeoutSeconds', 'must be an integer from 1 to 3600');
    const failureAction = input.rollout?.failureAction ?? this.o.defaults.failureAction;
    if (!FAILURE_ACTIONS.includes(failureAction)) throw BerthError.invalid('rollout.failureAction', `must be one of ${FAILURE_ACTIONS.join(', ')}`);
    if (!input.patch || typeof input.patch !== 'object' || !Object.keys(input.patch).length) throw BerthError.invalid('patch', 'must change at least one field');

    if (input.patch.image !== undefined && typeof input.patch.image === 'string' && !(await this.o.imageExists(input.patch.image))) {
      throw new BerthError('IMAGE_NOT_FOUND', `patch.image: ${input.patch.image} is not present on the container engine; berth does not pull or build images implicitly`, { field: 'patch.image' });
    }
    const targets = await this.targets(selector, viewer);
    if (!targets.length) throw BerthError.invalid('selector', 'matches no instance');
    if (targets.length > MAX_INSTANCES) throw BerthError.invalid('selector', `matches ${targets.length} instances; at most ${MAX_INSTANCES} per rollout`);
    // The patch must be valid for every instance it will reach: refused up front, nothing made.
    for (const t of targets) {
      const current = await this.o.currentOf(t.id);
      if (current) applyPatch(current, input.patch, this.o.spec);
    }
    const { secrets, ...rest } = input.patch;
    const set = Object.entries(secrets ?? {}).filter((e): e is [string, string] => e[1] !== null);
    const removed = Object.entries(secrets ?? {}).filter(([, v]) => v === null).map(([k]) => k);
    const at = this.now();
    const rollout: Rollout = {
      id: newId('rol_', this.o.clock.now()), tenant: viewer.tenant, selector,
      patch: { ...rest, ...(set.length ? { secretNames: set.map(([k]) => k).sort() } : {}), ...(removed.length ? { secretsRemoved: removed.sort() } : {}) },
      secretsSealed: set.length ? this.o.secrets.seal(Object.fromEntries(set)) : null,
      maxParallel, maxFailures, healthTimeoutSeconds, failureAction, status: 'running', message: null, actor, createdAt: at, updatedAt: at,
    };
    const items: RolloutItem[] = targets.map((t, position) => ({
      instanceId: t.id, instance: t.name, tenant: t.tenant, position, status: 'pending', upgradeId: null, revision: null, message: null, startedAt: null, endedAt: null,
    }));
    await this.o.rollouts.insert(rollout, items);
    this.o.wake();
    return this.get(rollout.id, viewer);
  }

  /** The patch as an instance PATCH (secret values opened). */
  patchOf(rollout: Rollout): InstancePatchInput {
    const { secretNames: _names, secretsRemoved, ...rest } = rollout.patch;
    const secrets: Record<string, string | null> = { ...(rollout.secretsSealed ? this.o.secrets.open(rollout.secretsSealed) : {}) };
    for (const k of secretsRemoved ?? []) secrets[k] = null;
    return { ...rest, ...(Object.keys(secrets).length ? { secrets } : {}) };
  }

  async list(viewer: Viewer, status?: RolloutStatus): Promise<{ items: RolloutView[]; total: number }> {
    const rollouts = await this.o.rollouts.list({ ...(viewer.tenant ? { tenant: viewer.tenant } : {}), ...(status ? { status } : {}), limit: 100 });
    const items = await Promise.all(rollouts.map(async (r) => this.view(r, await this.o.rollouts.items(r.id), false)));
    return { items, total: items.length };
  }

  async get(id: string, viewer: Viewer): Promise<RolloutView> {
    const r = await this.find(id, viewer);
    return this.view(r, await this.o.rollouts.items(r.id), true);
  }

  async act(id: string, action: 'pause' | 'resume' | 'cancel', actor: string, viewer: Viewer): Promise<RolloutView> {
    const r = await this.find(id, viewer);
    const at = this.now();
    const moves: Record<typeof action, { from: RolloutStatus[]; to: RolloutStatus }> = {
      pause: { from: ['running'], to: 'paused' },
      resume: { from: ['paused'], to: 'running' },
      cancel: { from: ['running', 'paused'], to: 'cancelled' },
    };
    const move = moves[action];
    // Repeating a request that already took effect is fine; asking a finished rollout is not.
    if (r.status !== move.to || action === 'cancel') {
      if (!(await this.o.rollouts.setStatus(r.id, move.from, move.to, `${action} by ${actor}`, at))) {
        if (r.status !== move.to) throw new BerthError('INVALID_STATE', `rollout ${r.id} is ${r.status}; cannot ${action} it`);
      }
    }
    if (action === 'cancel') await this.o.rollouts.settlePending(r.id, 'cancelled', `cancelled by ${actor}`, at);
    if (action === 'resume') this.o.wake();
    return this.get(r.id, viewer);
  }

  private async find(id: string, viewer: Viewer): Promise<Rollout> {
    const r = await this.o.rollouts.get(id);
    // A tenant never learns of another tenant's (or an admin's) rollout.
    if (!r || (viewer.tenant && r.tenant !== viewer.tenant)) throw new BerthError('ROLLOUT_NOT_FOUND', `no rollout ${id}`);
    return r;
  }

  private selector(s: CreateRolloutInput['selector'], viewer: Viewer): RolloutSelector {
    const given = (['tenant', 'plan', 'instances'] as const).filter((k) => s?.[k] !== undefined);
    if (given.length !== 1) throw BerthError.invalid('selector', 'must name exactly one of tenant, plan, instances');
    if (s.tenant !== undefined) {
      if (viewer.tenant && s.tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `selector.tenant: this token may not change tenant ${s.tenant}`, { field: 'selector.tenant' });
      return { tenant: s.tenant };
    }
    if (s.plan !== undefined) return { plan: s.plan };
    const instances = s.instances!;
    if (!Array.isArray(instances) || !instances.length || instances.length > MAX_INSTANCES) throw BerthError.invalid('selector.instances', `must list 1 to ${MAX_INSTANCES} instances`);
    return { instances: [...new Set(instances)] };
  }

  private async targets(selector: RolloutSelector, viewer: Viewer): Promise<InstanceTarget[]> {
    if (!('instances' in selector)) return this.o.repo.listTargets(selector, viewer.tenant);
    const out: InstanceTarget[] = [];
    for (const [i, name] of selector.instances.entries()) {
      const [row] = await this.o.repo.listTargets({ instance: name }, viewer.tenant);
      if (!row) throw new BerthError('INSTANCE_NOT_FOUND', `selector.instances.${i}: no instance ${name}`, { field: `selector.instances.${i}` });
      if (!out.some((r) => r.id === row.id)) out.push(row);
    }
    return out;
  }

  private view(r: Rollout, items: RolloutItem[], withItems: boolean): RolloutView {
    const { secretsSealed: _sealed, ...rest } = r;
    const counts = Object.fromEntries(ITEM_STATUSES.map((s) => [s, items.filter((i) => i.status === s).length])) as Record<RolloutItemStatus, number>;
    return { ...rest, counts, items: withItems ? items : [] };
  }
}
