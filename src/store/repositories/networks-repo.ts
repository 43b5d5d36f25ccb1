import type { Kysely, Selectable } from 'kysely';
import type { Database, NetworksTable } from '../database.js';

export type NetworkRow = Selectable<NetworksTable>;

/** Dedicated tenant networks: one row per tenant; the UNIQUE subnet column allocates subnets. */
export class NetworksRepo {
  constructor(private readonly db: Kysely<Database>) {}

  get(tenant: string): Promise<NetworkRow | undefined> {
    return this.db.selectFrom('networks').selectAll().where('tenant', '=', tenant).executeTakeFirst();
  }

  list(): Promise<NetworkRow[]> {
    return this.db.selectFrom('networks').selectAll().execute();
  }

  async usedSubnets(): Promise<Set<string>> {
    return new Set((await this.db.selectFrom('networks').select('subnet').execute()).map((r) => r.subnet));
  }

  /** Throws a unique violation when the tenant already has a row or the subnet is taken. */
  async insert(row: NetworkRow): Promise<void> {
    await this.db.insertInto('networks').values(row).execute();
  }

  async setSubnet(tenant: string, subnet: string): Promise<void> {
    await this.db.updateTable('networks').set({ subnet }).where('tenant', '=', tenant).execute();
  }

  async delete(tenant: string): Promise<void> {
    await this.db.deleteFrom('networks').where('tenant', '=', tenant).execute();
  }
}
