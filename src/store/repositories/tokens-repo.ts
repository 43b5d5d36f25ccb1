import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';

export type TokenRow = Selectable<TokensTable>;

export class TokensRepo {
  constructor(private readonly db: Kysely<Database>) {}

  insert(row: TokenRow): Promise<unknown> {
    return this.db.insertInto('tokens').values(row).execute();
  }

  findByHash(hash: string): Promise<TokenRow | undefined> {
    return this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  findByIdOrName(idOrName: string): Promise<TokenRow | undefined> {
    return this.db.selectFrom('tokens').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  }

  list(): Promise<TokenRow[]> {
    return this.db.selectFrom('tokens').selectAll().orderBy('created_at').execute();
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
