import { sql, type Kysely, type Migration } from 'kysely';
import { newId } from '../../common/ids.js';
import type { StoreDialect } from '../store-dialect.js';

interface LegacyJob {
  id: string;
  target: string;
  tenant: string | null;
}

/**
 * Identity by id. Instances record their workspace volume (null on rows made before this:
 * their volume keeps its old name); kept workspaces get a table of their own with an id and a
 * tenant; job targets naming an instance store its id; events ids are 64-bit on Postgres.
 */
export function identityByIdMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('instances').addColumn('workspace_volume', 'text').execute();

      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('volume', 'text', (c) => c.notNull().unique())
        // Null only for workspaces kept before this migration whose tenant is unknown: admin only.
        .addColumn('tenant', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('instance_name', 'text')
        .addColumn('kept_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('workspaces_tenant_idx').on('workspaces').column('tenant').execute();

      // Kept marks used to live in meta as `workspace.kept:<volume>`.
      const kept = await sql<{ key: string; value: string }>`select key, value from meta where key like 'workspace.kept:%'`.execute(db);
      for (const row of kept.rows) {
        const volume = row.key.slice('workspace.kept:'.length);
        const name = /^berth-.+?-(.+)-ws$/.exec(volume)?.[1] ?? null;
        await sql`insert into workspaces (id, volume, tenant, instance_id, instance_name, kept_at)
          values (${newId('wks_')}, ${volume}, ${null}, ${null}, ${name}, ${row.value})`.execute(db);
      }
      await sql`delete from meta where key like 'workspace.kept:%'`.execute(db);

      // Job targets by name become ids, resolved within the job's own tenant; a job whose
      // instance cannot be found that way is disabled rather than left to match a reused name.
      const jobs = await sql<LegacyJob>`select id, target, tenant from jobs`.execute(db);
      for (const job of jobs.rows) {
        const target = JSON.parse(job.target) as Record<string, unknown>;
        if (typeof target.instance !== 'string') continue;
        const found = await sql<{ id: string; name: string }>`select id, name from instances
          where (id = ${target.instance} or name = ${target.instance}) and tenant = ${job.tenant ?? ''}`.execute(db);
        const instance = found.rows[0];
        if (instance) await sql`update jobs set target = ${JSON.stringify({ instance: instance.name, instanceId: instance.id })} where id = ${job.id}`.execute(db);
        else await sql`update jobs set enabled = 0, next_run_at = null where id = ${job.id}`.execute(db);
      }

      if (dialect === 'postgres') {
        await sql`alter table events alter column id type bigint`.execute(db);
        await sql`alter sequence if exists events_id_seq as bigint`.execute(db);
      }
    },
  };
}
