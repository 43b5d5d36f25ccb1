import { ConcurrencyLimiter } from './concurrency-limiter.js';

/**
 * Probe slots per tenant, inside the global probe cap: one tenant's probes hold at most
 * `perTenant` slots at once, so a tenant whose health endpoints all hang (each probe holding
 * its slot until the timeout) cannot keep other tenants' probes waiting. A tenant's slot is
 * taken before a global one, so a tenant queued on its own cap holds no global slot.
 */
export class TenantProbeSlots {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(readonly perTenant: number) {}

  async run<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    let limiter = this.limiters.get(tenant);
    if (!limiter) {
      limiter = new ConcurrencyLimiter(this.perTenant);
      this.limiters.set(tenant, limiter);
    }
    try {
      return await limiter.run(task);
    } finally {
      // Idle tenants are forgotten: the map holds only tenants with probes running or queued.
      if (limiter.active === 0 && limiter.waiting === 0 && this.limiters.get(tenant) === limiter) this.limiters.delete(tenant);
    }
  }

  close(): void {
    for (const limiter of this.limiters.values()) limiter.close();
    this.limiters.clear();
  }
}
