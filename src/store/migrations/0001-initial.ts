import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';

/** Initial schema: instances, networks, events, tokens, jobs, job runs, meta. */
export function initialMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('image', 'text', (c) => c.notNull())
        .addColumn('command', 'text')
        .addColumn('env', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('secrets_sealed', 'text')
        .addColumn('secret_names', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('container_port', 'integer', (c) => c.notNull())
        .addColumn('host_port', 'integer', (c) => c.unique())
        .addColumn('health', 'text', (c) => c.notNull())
        .addColumn('spec_hash', 'text', (c) => c.notNull())
        .addColumn('desired_state', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('container_id', 'text')
        .addColumn('network_name', 'text')
        .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('checks_passed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_check_at', 'text')
        .addColumn('last_check_ok', 'integer')
        .addColumn('last_check_latency_ms', 'integer')
        .addColumn('last_exit_code', 'integer')
        .addColumn('oom_killed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('backoff_ms', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_restart_at', 'text')
        .addColumn('restart_history', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('last_error', 'text')
        .addColumn('started_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('instances_tenant_idx').on('instances').column('tenant').execute();
      await db.schema.createIndex('instances_status_idx').on('instances').column('status').execute();

      await db.schema
        .createTable('networks')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('subnet', 'text', (c) => c.notNull().unique())
        .addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('instance_id', 'text')
        .addColumn('instance_name', 'text')
        .addColumn('tenant', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('data', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_instance_idx').on('events').columns(['instance_id', 'id']).execute();
      await db.schema.createIndex('events_tenant_idx').on('events').columns(['tenant', 'id']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('missed_policy', 'text', (c) => c.notNull().defaultTo('skip'))
        .addColumn('overlap_policy', 'text', (c) => c.notNull().defaultTo('skip'))
        .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('next_run_at', 'text')
        .addColumn('last_run_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('job_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('slot', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('results', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('claimed_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('job_runs_slot_unique', ['job_id', 'slot'])
        .execute();
      await db.schema.createIndex('job_runs_job_idx').on('job_runs').columns(['job_id', 'started_at']).execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
