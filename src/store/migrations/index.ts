import type { Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';
import { initialMigration } from './0001-initial.js';
import { jobRunNoteMigration } from './0002-job-run-note.js';
import { identityByIdMigration } from './0003-identity-by-id.js';
import { tenantLimitsMigration } from './0004-tenant-limits.js';
import { tokenExpiryRetentionMigration } from './0005-token-expiry-retention.js';

/**
 * Every migration, in order, for every dialect. Names sort lexically; add new ones at the end
 * with the next number. Migrations take the dialect for the few places SQL differs.
 */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001-initial': initialMigration(dialect),
        '0002-job-run-note': jobRunNoteMigration(),
        '0003-identity-by-id': identityByIdMigration(dialect),
        '0004-tenant-limits': tenantLimitsMigration(),
        '0005-token-expiry-retention': tokenExpiryRetentionMigration(),
      };
    },
  };
}
