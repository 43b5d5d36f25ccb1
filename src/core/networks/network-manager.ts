import { createHash } from 'node:crypto';
import { BerthError, conflictOn, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { LABELS, managedLabels } from '../../runtime/labels.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { NetworkRecord, NetworksRepo } from '../../store/repositories/networks-repo.js';
import type { KeyedLock } from '../instances/keyed-lock.js';
import type { Plan } from '../plans/resolve-plans.js';
import type { SubnetPool } from './subnet-pool.js';

export interface NetworkManagerOptions {
  runtime: RuntimeDriver;
  repo: NetworksRepo;
  lock: KeyedLock;
  logger: Logger;
  scope: string;
  sharedName: string;
  sharedSubnet: string;
  pool: SubnetPool;
  now: () => string;
  random?: () => number;
}

type EgressPolicy = { mode: Plan['egress']; allow: string[] };

function policyOf(plan: Pick<Plan, 'egress' | 'egressAllow'>): EgressPolicy {
  return { mode: plan.egress, allow: plan.egressAllow };
}

/** The policy as network labels: recorded with the network, so berth can re-apply its rules at boot. */
function egressLabels(policy: EgressPolicy): Record<string, string> {
  return { 'berth.egress': policy.mode, 'berth.egress-allow': policy.allow.join(',') };
}

// Docker says "overlaps"; Podman (netavark) says "is already used on the host or by another config".
const OVERLAP = /overlap|address pools have been fully subnetted|already used on the host/i;

/**
 * Tenant networks. Plans share one bridge with inter-container traffic disabled; a plan may
 * ask for a dedicated bridge per tenant, whose subnet berth takes from its own pool (the
 * networks table's UNIQUE subnet column is the allocator).
 */
export class NetworkManager {
  /** Scoped so several berths (and parallel tests) on one engine never share or remove each other's bridge. */
  readonly sharedName: string;

  constructor(private readonly o: NetworkManagerOptions) {
    this.sharedName = o.scope === 'default' ? o.sharedName : `${o.sharedName}-${o.scope}`;
  }

  nameFor(tenant: string, plan: Plan): string {
    return this.dedicated(plan) ? this.dedicatedName(tenant) : this.sharedNameFor(plan);
  }

  /** A tenant network of its own: the plan asks for one, or the runtime cannot separate tenants on a shared one (Swarm). */
  private dedicated(plan: Plan): boolean {
    return plan.dedicatedNetwork || this.o.runtime.networkPerTenant === true;
  }

  /**
   * Egress is a property of a bridge, so plans with another egress policy than the default
   * (public, nothing allowed) share a bridge of their own, named after the policy.
   */
  sharedNameFor(plan: Pick<Plan, 'egress' | 'egressAllow'>): string {
    if (plan.egress === 'public' && plan.egressAllow.length === 0) return this.sharedName;
    const allow = plan.egressAllow.length ? `-${createHash('sha256').update([...plan.egressAllow].sort().join(',')).digest('hex').slice(0, 8)}` : '';
    return `${this.sharedName}-${plan.egress}${allow}`;
  }

  dedicatedName(tenant: string): string {
    return `berth-${this.o.scope}-net-${tenant}`;
  }

  isDedicated(name: string): boolean {
    return name !== this.sharedName && !name.startsWith(`${this.sharedName}-`);
  }

  /**
   * Makes sure the instance's network exists and runs `fn` with its name. A dedicated
   * network stays locked while `fn` runs, so it cannot be released between its creation and
   * the container joining it.
   */
  async use<T>(tenant: string, plan: Plan, fn: (network: string) => Promise<T>): Promise<T> {
    if (!this.dedicated(plan)) {
      const name = this.sharedNameFor(plan);
      await this.o.lock.run(`net:shared:${name}`, () => this.ensureShared(name, policyOf(plan)));
      return fn(name);
    }
    return this.o.lock.run(`net:${tenant}`, async () => {
      await this.ensureDedicated(tenant, plan.internalNetwork, policyOf(plan));
      return fn(this.dedicatedName(tenant));
    });
  }

  /**
   * Removes a tenant's dedicated network once no instance row points at it. Returns false
   * while it is still in use (rows, or containers the engine still sees attached).
   */
  release(tenant: string, countUsers: (network: string) => Promise<number>): Promise<boolean> {
    const name = this.dedicatedName(tenant);
    return this.o.lock.run(`net:${tenant}`, async () => {
      if ((await countUsers(name)) > 0) return false;
      try {
        await this.o.runtime.removeNetwork(name);
      } catch (error) {
        if (error instanceof BerthError && error.code !== 'RUNTIME_UNAVAILABLE' && /active endpoints|in use/i.test(error.message)) return false;
        throw error;
      }
      await this.o.repo.delete(tenant);
      return true;
    });
  }

  private async ensureShared(name: string, egressPolicy: EgressPolicy): Promise<void> {
    const spec = { name, internal: false, icc: false, labels: { ...managedLabels(this.o.scope, 'network'), ...egressLabels(egressPolicy) }, egressPolicy };
    try {
      // The configured subnet is the default bridge's; bridges of other egress policies take the engine's pick.
      await this.o.runtime.ensureNetwork({ ...spec, ...(this.o.sharedSubnet && name === this.sharedName ? { subnet: this.o.sharedSubnet } : {}) });
    } catch (error) {
      if (!this.o.sharedSubnet || name !== this.sharedName || !OVERLAP.test(describeError(error))) throw error;
      // Another berth on this engine holds the configured subnet: let the engine pick one.
      this.o.logger.warn({ network: name, subnet: this.o.sharedSubnet }, 'network.sharedSubnet overlaps an existing network; letting the engine choose the subnet');
      await this.o.runtime.ensureNetwork(spec);
    }
  }

  private async ensureDedicated(tenant: string, internal: boolean, egressPolicy: EgressPolicy): Promise<void> {
    const name = this.dedicatedName(tenant);
    let row = await this.o.repo.get(tenant);
    const tried = new Set<string>();
    if (!row) row = await this.allocate(tenant, name, internal, tried);
    const labels = { ...managedLabels(this.o.scope, 'network'), [LABELS.tenant]: tenant, ...egressLabels(egressPolicy) };
    for (let attempt = 0; ; attempt++) {
      try {
        // "Internal" plans get no egress (no NAT out) rather than Docker's `internal`, which would drop the published port.
        await this.o.runtime.ensureNetwork({ name, subnet: row.subnet, internal: false, egress: !row.internal, icc: true, labels, egressPolicy });
        return;
      } catch (error) {
        if (!OVERLAP.test(describeError(error)) || attempt >= 16) throw error;
        // Something outside this store holds that range (another berth, another tool): move on.
        tried.add(row.subnet);
        const subnet = this.o.pool.pick(new Set([...(await this.o.repo.usedSubnets()), ...tried]), this.o.random);
        try {
          await this.o.repo.setSubnet(tenant, subnet);
          row = { ...row, subnet };
        } catch (e) {
          if (!conflictOn(e)) throw e;
        }
      }
    }
  }

  private async allocate(tenant: string, name: string, internal: boolean, tried: Set<string>): Promise<NetworkRecord> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const subnet = this.o.pool.pick(new Set([...(await this.o.repo.usedSubnets()), ...tried]), this.o.random);
      const row: NetworkRecord = { tenant, name, subnet, internal, createdAt: this.o.now() };
      try {
        await this.o.repo.insert(row);
        return row;
      } catch (error) {
        const column = conflictOn(error);
        if (!column) throw error;
        if (column === 'subnet') {
          tried.add(subnet);
          continue;
        }
        const existing = await this.o.repo.get(tenant);
        if (existing) return existing;
      }
    }
    throw new BerthError('SUBNETS_EXHAUSTED', `could not allocate a subnet for tenant ${tenant} from ${this.o.pool.cidr}`);
  }
}
