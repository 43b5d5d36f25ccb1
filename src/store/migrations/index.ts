import type { Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';
import { initialMigration } from './0001-initial.js';
import { jobRunNoteMigration } from './0002-job-run-note.js';
import { identityByIdMigration } from './0003-identity-by-id.js';
import { tenantLimitsMigration } from './0004-tenant-limits.js';
import { tokenExpiryRetentionMigration } from './0005-token-expiry-retention.js';
import { leasesMigration } from './0006-leases.js';
import { revisionsRolloutsMigration } from './0007-revisions-rollouts.js';
import { snapshotsMigration } from './0008-snapshots.js';
import { instanceScanDirMigration } from './0010-instance-scan-dir.js';
import { workspaceNodesMigration } from './0012-workspace-nodes.js';

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
        '0006-leases': leasesMigration(),
        '0007-revisions-rollouts': revisionsRolloutsMigration(),
        '0008-snapshots': snapshotsMigration(),
        '0010-instance-scan-dir': instanceScanDirMigration(),
        '0012-workspace-nodes': workspaceNodesMigration(),
      };
    },
  };
}
