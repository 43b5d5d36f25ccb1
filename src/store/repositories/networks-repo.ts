import type { Kysely, Selectable } from 'kysely';
import type { Database, NetworksTable } from '../database.js';
import { orConflict } from './unique-violation.js';

/** A tenant's dedicated network as the store keeps it. */
export interface NetworkRecord {
  tenant: string;
  name: string;
  subnet: string;
  /** No egress (the plan's internalNetwork). */
  internal: boolean;
  createdAt: string;
}

function toNetworkRecord(row: Selectable<NetworksTable>): NetworkRecord {
  return { tenant: row.tenant, name: row.name, subnet: row.subnet, internal: row.internal === 1, createdAt: row.created_at };
}

/** Dedicated tenant networks: one row per tenant; the UNIQUE subnet column allocates subnets. */
export class NetworksRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(tenant: string): Promise<NetworkRecord | undefined> {
    const row = await this.db.selectFrom('networks').selectAll().where('tenant', '=', tenant).executeTakeFirst();
    return row ? toNetworkRecord(row) : undefined;
  }

  async list(): Promise<NetworkRecord[]> {
    return (await this.db.selectFrom('networks').selectAll().execute()).map(toNetworkRecord);
  }

  async usedSubnets(): Promise<Set<string>> {
    return new Set((await this.db.selectFrom('networks').select('subnet').execute()).map((r) => r.subnet));
  }

  /** A tenant that has a row already, or a taken subnet, is `BerthError('CONFLICT')` on `tenant` or `subnet`. */
  async insert(record: NetworkRecord): Promise<void> {
    const row = { tenant: record.tenant, name: record.name, subnet: record.subnet, internal: record.internal ? 1 : 0, created_at: record.createdAt };
    await orConflict('networks', () => this.db.insertInto('networks').values(row).execute());
  }

  /** A taken subnet is `BerthError('CONFLICT')` on `subnet`. */
  async setSubnet(tenant: string, subnet: string): Promise<void> {
    await orConflict('networks', () => this.db.updateTable('networks').set({ subnet }).where('tenant', '=', tenant).execute());
  }

  async delete(tenant: string): Promise<void> {
    await this.db.deleteFrom('networks').where('tenant', '=', tenant).execute();
  }
}
