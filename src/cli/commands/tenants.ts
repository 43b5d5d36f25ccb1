import type { Command } from 'commander';
import type { Tenant } from '../api-types.js';
import { action, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';
import { formatBytes } from '../format.js';

type TenantView = Tenant;

const LIMIT_OPTIONS = ['maxInstances', 'maxCpus', 'maxMemory', 'maxJobs', 'minJobIntervalSeconds', 'plans'] as const;

function integerOf(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw usageError(`${flag} needs a number ≥ 0, not ${JSON.stringify(value)}`);
  return n;
}

/** `berth tenants ls|show|limits`: per-tenant limits and usage (limits are set by admins). */
export function registerTenantCommands(program: Command, io: CliIo): void {
  const tenants = program.command('tenants').alias('tenant').description('Tenant limits and usage: ls, show, limits')
    .addHelpText('after', '\nExamples:\n  berth tenants ls\n  berth tenants show acme\n  berth tenants limits acme --max-instances 5 --plans starter,pro');

  tenants.command('ls').alias('list')
    .description('List tenants with their usage against their limits')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth tenants ls\n  berth tenants ls --json | jq -r \'.items[] | select(.usage.instances > 0) | .tenant\'')
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const res = await ctx.client().get<{ items: TenantView[]; total: number }>('/v1/tenants');
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'tenant', value: (t: TenantView) => t.tenant },
        { header: 'instances', value: (t) => `${t.usage.instances}/${t.limits.maxInstances}` },
        { header: 'cpus', value: (t) => `${t.usage.cpus}/${t.limits.maxCpus}` },
        { header: 'memory', value: (t) => `${formatBytes(t.usage.memoryBytes)}/${formatBytes(t.limits.maxMemoryBytes)}` },
        { header: 'jobs', value: (t) => `${t.usage.jobs}/${t.limits.maxJobs}` },
        { header: 'plans', value: (t) => (t.limits.plans.length ? t.limits.plans.join(',') : 'all') },
      ], res.items);
    }));

  tenants.command('show <tenant>')
    .description('One tenant: limits (and which are set for it) and usage')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth tenants show acme\n  berth tenants show acme --json')
    .action(action(io, async (ctx, [tenant], opts: { json?: boolean }) => {
      const t = await ctx.client().get<TenantView>(`/v1/tenants/${encodeURIComponent(tenant ?? '')}`);
      if (opts.json) return ctx.out.json(t);
      const mark = (key: string): string => (key in t.overrides ? '' : ctx.out.colors.dim(' (default)'));
      ctx.out.line(`tenant ${t.tenant}`);
      ctx.out.line(`  instances  ${t.usage.instances} of ${t.limits.maxInstances}${mark('maxInstances')}`);
      ctx.out.line(`  cpus       ${t.usage.cpus} of ${t.limits.maxCpus}${mark('maxCpus')}`);
      ctx.out.line(`  memory     ${formatBytes(t.usage.memoryBytes)} of ${formatBytes(t.limits.maxMemoryBytes)}${mark('maxMemory')}`);
      ctx.out.line(`  jobs       ${t.usage.jobs} of ${t.limits.maxJobs}${mark('maxJobs')}, at most every ${t.limits.minJobIntervalSeconds}s${mark('minJobIntervalSeconds')}`);
      ctx.out.line(`  plans      ${t.limits.plans.length ? t.limits.plans.join(', ') : 'all'}${mark('plans')}`);
    }));

  tenants.command('limits <tenant>')
    .description('Set a tenant\'s limits over the configured defaults (admin only)')
    .option('--max-instances <n>', 'instances the tenant may have')
    .option('--max-cpus <n>', 'sum of CPUs over the tenant\'s plans')
    .option('--max-memory <size>', 'sum of memory over the tenant\'s plans, e.g. 8GiB')
    .option('--max-jobs <n>', 'jobs the tenant may have')
    .option('--min-job-interval <seconds>', 'shortest gap between two runs of a tenant\'s schedule')
    .option('--plans <list>', 'comma-separated plans the tenant may use ("" for all)')
    .option('--reset <keys>', `comma-separated limits to return to the defaults (${LIMIT_OPTIONS.join(', ')})`)
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth tenants limits acme --max-instances 5 --max-memory 4GiB\n  berth tenants limits acme --reset maxInstances,plans')
    .action(action(io, async (ctx, [tenant], opts: { maxInstances?: string; maxCpus?: string; maxMemory?: string; maxJobs?: string; minJobInterval?: string; plans?: string; reset?: string; json?: boolean }) => {
      const body: Record<string, unknown> = {};
      if (opts.maxInstances !== undefined) body.maxInstances = integerOf(opts.maxInstances, '--max-instances');
      if (opts.maxCpus !== undefined) body.maxCpus = integerOf(opts.maxCpus, '--max-cpus');
      if (opts.maxMemory !== undefined) body.maxMemory = opts.maxMemory;
      if (opts.maxJobs !== undefined) body.maxJobs = integerOf(opts.maxJobs, '--max-jobs');
      if (opts.minJobInterval !== undefined) body.minJobIntervalSeconds = integerOf(opts.minJobInterval, '--min-job-interval');
      if (opts.plans !== undefined) body.plans = opts.plans.split(',').map((p) => p.trim()).filter(Boolean);
      if (opts.reset !== undefined) body.reset = opts.reset.split(',').map((p) => p.trim()).filter(Boolean);
      if (Object.keys(body).length === 0) throw usageError('name at least one limit to set, or --reset');
      const t = await ctx.client().request<TenantView>('PUT', `/v1/tenants/${encodeURIComponent(tenant ?? '')}/limits`, { body });
      if (opts.json) return ctx.out.json(t);
      ctx.out.line(`${ctx.out.colors.green('✓')} limits of ${t.tenant}: ${t.limits.maxInstances} instances, ${t.limits.maxCpus} CPUs, ${formatBytes(t.limits.maxMemoryBytes)}, ${t.limits.maxJobs} jobs, plans ${t.limits.plans.length ? t.limits.plans.join(',') : 'all'}`);
    }));
}
