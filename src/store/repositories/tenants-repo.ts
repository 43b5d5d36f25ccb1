import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/** Per-tenant limit overrides, and what the store knows of each tenant's holdings. */
export class TenantsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async overrides(tenant: string): Promise<Record<string, unknown>> {
    const row = await this.db.selectFrom('tenant_limits').select('limits').where('tenant', '=', tenant).executeTakeFirst();
    return row ? (JSON.parse(row.limits) as Record<string, unknown>) : {};
  }

  async setOverrides(tenant: string, limits: Record<string, unknown>, at: string): Promise<void> {
    const value = JSON.stringify(limits);
    await this.db.insertInto('tenant_limits').values({ tenant, limits: value, updated_at: at })
      .onConflict((oc) => oc.column('tenant').doUpdateSet({ limits: value, updated_at: at })).execute();
  }

  /** Every tenant the store has heard of: instances, jobs, tokens, kept workspaces or limits. */
  async known(): Promise<string[]> {
    const [a, b, c, d, e] = await Promise.all([
      this.db.selectFrom('instances').select('tenant').distinct().execute(),
      this.db.selectFrom('jobs').select('tenant').distinct().where('tenant', 'is not', null).execute(),
      this.db.selectFrom('tokens').select('tenant').distinct().where('tenant', 'is not', null).execute(),
      this.db.selectFrom('workspaces').select('tenant').distinct().where('tenant', 'is not', null).execute(),
      this.db.selectFrom('tenant_limits').select('tenant').execute(),
    ]);
    const all = new Set<string>();
    for (const r of [...a, ...b, ...c, ...d, ...e]) if (r.tenant) all.add(r.tenant);
    return [...all].sort();
  }

  async instancePlans(tenant: string): Promise<string[]> {
    return (await this.db.selectFrom('instances').select('plan').where('tenant', '=', tenant).execute()).map((r) => r.plan);
  }

  async jobCount(tenant: string): Promise<number> {
    const row = await this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number | string>().as('n')).where('tenant', '=', tenant).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
