import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Revisions of an instance's spec, health-gated upgrades (one record per attempt, the running
 * one resumable after a crash) and fleet rollouts with their per-instance items. Every existing
 * instance gets revision 1, a copy of its current spec.
 */
export function revisionsRolloutsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('instances').addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('instances').addColumn('previous_revision', 'integer').execute();

      await db.schema
        .createTable('instance_revisions')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('secrets_sealed', 'text')
        .addColumn('changed', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('instance_revisions_pk', ['instance_id', 'revision'])
        .execute();
      // Revision 1 of every existing instance: its spec as it is now.
      await sql`insert into instance_revisions (instance_id, revision, tenant, spec, secrets_sealed, changed, actor, reason, created_at)
        select id, 1, tenant,
          '{"image":' || ${jsonString('image')} || ',"command":' || coalesce(command, 'null') || ',"env":' || env
            || ',"secretNames":' || secret_names || ',"plan":' || ${jsonString('plan')} || ',"port":' || cast(container_port as text)
            || ',"health":' || health || '}',
          secrets_sealed, '[]', 'berth', 'existing instance at migration', created_at
        from instances`.execute(db);

      await db.schema
        .createTable('instance_upgrades')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('rollout_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_revision', 'integer', (c) => c.notNull())
        .addColumn('to_revision', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('old_container_id', 'text')
        .addColumn('new_container_id', 'text')
        .addColumn('health_timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('failure_action', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('downtime_ms', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema.createIndex('instance_upgrades_instance_idx').on('instance_upgrades').columns(['instance_id', 'status']).execute();
      await db.schema.createIndex('instance_upgrades_status_idx').on('instance_upgrades').column('status').execute();

      await db.schema
        .createTable('rollouts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text')
        .addColumn('selector', 'text', (c) => c.notNull())
        .addColumn('patch', 'text', (c) => c.notNull())
        .addColumn('secrets_sealed', 'text')
        .addColumn('max_parallel', 'integer', (c) => c.notNull())
        .addColumn('max_failures', 'integer', (c) => c.notNull())
        .addColumn('health_timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('failure_action', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rollouts_status_idx').on('rollouts').column('status').execute();
      await db.schema
        .createTable('rollout_items')
        .addColumn('rollout_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('instance_name', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('upgrade_id', 'text')
        .addColumn('revision', 'integer')
        .addColumn('message', 'text')
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .addPrimaryKeyConstraint('rollout_items_pk', ['rollout_id', 'instance_id'])
        .execute();
    },
  };
}

/** A text column as a JSON string literal (image refs and plan names hold no quotes or backslashes). */
function jsonString(column: 'image' | 'plan') {
  return sql`'"' || ${sql.ref(column)} || '"'`;
}
