import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import { orConflict } from './unique-violation.js';

/** An API token as the store keeps it: its sha256 hash, never the token. */
export interface TokenRecord {
  id: string;
  name: string;
  hash: string;
  scope: 'admin' | 'tenant';
  tenant: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** After this the token no longer authenticates; null: never expires. */
  expiresAt: string | null;
}

function toTokenRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id, name: row.name, hash: row.hash, scope: row.scope as TokenRecord['scope'], tenant: row.tenant,
    createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at, expiresAt: row.expires_at,
  };
}

export class TokensRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** A taken name is `BerthError('CONFLICT')` on `name`. */
  async insert(t: TokenRecord): Promise<void> {
    const row = {
      id: t.id, name: t.name, hash: t.hash, scope: t.scope, tenant: t.tenant,
      created_at: t.createdAt, last_used_at: t.lastUsedAt, revoked_at: t.revokedAt, expires_at: t.expiresAt,
    };
    await orConflict('tokens', () => this.db.insertInto('tokens').values(row).execute());
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? toTokenRecord(row) : undefined;
  }

  async findByIdOrName(idOrName: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    return row ? toTokenRecord(row) : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.db.selectFrom('tokens').selectAll().orderBy('created_at').execute()).map(toTokenRecord);
  }

  async countAdmins(): Promise<number> {
    const row = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('scope', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.db.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
