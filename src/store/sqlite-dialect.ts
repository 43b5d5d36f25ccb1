import Sqlite from 'better-sqlite3';
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement } from 'kysely';

/**
 * SQLite's default deferred BEGIN takes the write lock only at the first write; two such
 * transactions that both read first then deadlock on the upgrade (SQLITE_BUSY without waiting).
 * BEGIN IMMEDIATE takes the write lock up front, so writers queue on busy_timeout instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite does run DDL inside transactions. Saying so makes Kysely's migrator wrap each run in
 * one (BEGIN IMMEDIATE), which serializes two processes migrating the same file.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * better-sqlite3 prepares a statement per query text; Kysely asks for one on every execution.
 * Berth's queries are a small fixed set of texts (values are bound parameters), so prepared
 * statements are kept and reused, most recently used first, up to `max`. The connection runs
 * one query at a time and Kysely's streaming (iterate) is not used, so a statement is never
 * busy when it is handed out again.
 */
export function reusingStatements(raw: Sqlite.Database, max = 500): SqliteDatabase & { readonly cached: number } {
  const statements = new Map<string, SqliteStatement>();
  return {
    get cached() {
      return statements.size;
    },
    close: () => {
      statements.clear();
      raw.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = raw.prepare(sql) as unknown as SqliteStatement;
        if (statements.size >= max) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

export function openSqlite(file: string): { dialect: SqliteDialect; raw: Sqlite.Database } {
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  return { dialect: new ImmediateSqliteDialect({ database: reusingStatements(raw) }), raw };
}
