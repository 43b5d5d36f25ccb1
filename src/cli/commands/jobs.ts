import type { Command } from 'commander';
import type { Job, JobRun } from '../api-types.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { formatAge, formatDuration, paintStatus } from '../format.js';
import { integer } from '../parse-args.js';
import { confirm } from '../prompt.js';

type JobView = Job;
type RunView = JobRun;

interface CreateOptions {
  schedule: string;
  tz?: string;
  instance?: string;
  tenant?: string;
  plan?: string;
  restart?: boolean;
  exec?: boolean;
  http?: string;
  snapshot?: string | true;
  method?: string;
  body?: string;
  timeout?: number;
  actionTimeout?: number;
  missed?: string;
  disabled?: boolean;
  json?: boolean;
}

const jobPath = (name: string): string => `/v1/jobs/${encodeURIComponent(name)}`;
const targetText = (t: JobView['target']): string => (t.instance ? `instance ${t.instance}` : t.tenant ? `tenant ${t.tenant}` : `plan ${t.plan ?? '?'}`);
const actionText = (a: JobView['action']): string => (a.type === 'exec' ? `exec ${(a.command ?? []).join(' ')}` : a.type === 'http' ? `http ${a.method ?? 'GET'} ${a.path ?? ''}` : a.type);
const until = (iso: string | null): string => (iso ? `in ${formatDuration(Math.max(0, Date.parse(iso) - Date.now()))}` : '-');

function actionOf(argv: string[], opts: CreateOptions): Record<string, unknown> {
  const chosen = [opts.restart, opts.exec, opts.http !== undefined, opts.snapshot !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw usageError('choose one action: --restart, --exec -- <argv…>, --http <path> or --snapshot [pause|stop]');
  if (opts.snapshot !== undefined) return { type: 'snapshot', mode: opts.snapshot === true ? 'pause' : opts.snapshot };
  const timeout = opts.actionTimeout !== undefined ? { timeoutSeconds: opts.actionTimeout } : {};
  if (opts.restart) return { type: 'restart' };
  if (opts.exec) {
    if (argv.length === 0) throw usageError('--exec needs the command after --, e.g. --exec -- sh -c "echo hi"');
    return { type: 'exec', command: argv, ...timeout };
  }
  let body: unknown;
  if (opts.body !== undefined) {
    try {
      body = JSON.parse(opts.body);
    } catch {
      body = opts.body;
    }
  }
  return { type: 'http', path: opts.http, ...(opts.method ? { method: opts.method } : {}), ...(body !== undefined ? { body } : {}), ...timeout };
}

async function create(ctx: CliContext, name: string, argv: string[], opts: CreateOptions): Promise<void> {
  const targets = [opts.instance && { instance: opts.instance }, opts.tenant && { tenant: opts.tenant }, opts.plan && { plan: opts.plan }].filter(Boolean);
  if (targets.length !== 1) throw usageError('choose one target: --instance <name>, --tenant <tenant> or --plan <plan>');
  const body = {
    name,
    schedule: opts.schedule,
    ...(opts.tz ? { timezone: opts.tz } : {}),
    target: targets[0],
    action: actionOf(argv, opts),
    ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
    ...(opts.missed ? { missedPolicy: opts.missed } : {}),
    ...(opts.disabled ? { enabled: false } : {}),
  };
  const job = await ctx.client().post<JobView>('/v1/jobs', body);
  if (opts.json) return ctx.out.json(job);
  ctx.out.line(`${ctx.out.colors.green('✓')} job ${job.name}: ${actionText(job.action)} on ${targetText(job.target)}, ${job.schedule} (${job.timezone}); next run ${until(job.nextRunAt)}`);
}

function printRun(ctx: CliContext, run: RunView): void {
  const c = ctx.out.colors;
  ctx.out.line(`run ${run.id}: ${paintRun(run.status, ctx)}${run.durationMs !== null ? ` in ${(run.durationMs / 1000).toFixed(1)}s` : ''}${run.note ? ` — ${run.note}` : ''}`);
  for (const r of run.results) {
    const code = r.exitCode !== null ? ` exit ${r.exitCode}` : r.statusCode !== null ? ` HTTP ${r.statusCode}` : '';
    ctx.out.line(`  ${r.instance}: ${paintRun(r.outcome, ctx)}${code}${r.error ? c.dim(` (${r.error})`) : ''}`);
    if (r.output) ctx.out.line(r.output.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n') + (r.truncated ? c.dim('\n    … (truncated)') : ''));
  }
}

function paintRun(status: string, ctx: CliContext): string {
  const c = ctx.out.colors;
  if (status === 'succeeded') return c.green(status);
  if (status === 'failed' || status === 'timed_out') return c.red(status);
  return paintStatus(status, c);
}

/** `berth jobs create|ls|show|rm|run|runs`: scheduled jobs on instances. */
export function registerJobCommands(program: Command, io: CliIo): void {
  const jobs = program.command('jobs').alias('job').description('Scheduled jobs: create, ls, show, rm, run, runs')
    .addHelpText('after', '\nExamples:\n  berth jobs create nightly --schedule "0 3 * * *" --instance acme --restart\n  berth jobs ls\n  berth jobs run nightly --wait\n  berth jobs runs nightly');

  jobs.command('create <name> [command...]')
    .description('Create a job: one target and one action, on a cron schedule (5 fields, or 6 with seconds first)')
    .requiredOption('-s, --schedule <cron>', 'cron expression, e.g. "0 3 * * *" or "*/30 * * * * *"')
    .option('--tz <zone>', 'IANA time zone of the schedule (default UTC)')
    .option('--instance <name>', 'target one instance')
    .option('--tenant <tenant>', 'target every instance of a tenant')
    .option('--plan <plan>', 'target every instance on a plan (admin)')
    .option('--restart', 'action: restart the instances')
    .option('--exec', 'action: run the command given after -- inside each container')
    .option('--http <path>', 'action: an HTTP request to this path on each instance')
    .option('--snapshot [mode]', 'action: a workspace snapshot of each instance, mode pause (default) or stop')
    .option('--method <method>', 'with --http: the method (default GET)')
    .option('--body <json>', 'with --http: the request body (JSON, or text)')
    .option('--action-timeout <s>', 'exec/http: per-target timeout in seconds', integer(1, 86_400))
    .option('--timeout <s>', 'whole-run timeout in seconds', integer(1, 86_400))
    .option('--missed <policy>', 'slots missed while berth was down: skip (default) or run-once')
    .option('--disabled', 'create it disabled')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs create nightly --schedule "0 3 * * *" --tz Europe/Paris --instance acme --restart\n  berth jobs create tidy --schedule "*/10 * * * *" --tenant acme --exec --action-timeout 30 -- sh -c "rm -rf /tmp/cache"\n  berth jobs create digest --schedule "0 8 * * 1" --plan pro --http /tasks/digest --method POST --body \'{"week":true}\'')
    .action(action(io, async (ctx, [name, ...argv], opts: CreateOptions) => create(ctx, name ?? '', argv, opts)));

  jobs.command('ls').alias('list')
    .description('List jobs')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs ls\n  berth jobs ls --json | jq -r \'.items[].name\'')
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const res = await ctx.client().get<{ items: JobView[]; total: number }>('/v1/jobs', { limit: 500 });
      if (opts.json) return ctx.out.json(res);
      const c = ctx.out.colors;
      ctx.out.table([
        { header: 'name', value: (j: JobView) => j.name },
        { header: 'schedule', value: (j) => `${j.schedule}${j.timezone === 'UTC' ? '' : ` ${j.timezone}`}` },
        { header: 'target', value: (j) => targetText(j.target) },
        { header: 'action', value: (j) => actionText(j.action) },
        { header: 'next', value: (j) => (j.enabled ? until(j.nextRunAt) : c.dim('disabled')) },
        { header: 'last', value: (j) => (j.lastRunAt ? `${formatAge(j.lastRunAt)} ago` : 'never') },
      ], res.items);
    }));

  jobs.command('show <job>')
    .description('Show a job and its latest runs')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs show nightly\n  berth jobs show nightly --json')
    .action(action(io, async (ctx, [name], opts: { json?: boolean }) => {
      const client = ctx.client();
      const job = await client.get<JobView>(jobPath(name ?? ''));
      if (opts.json) return ctx.out.json(job);
      ctx.out.pairs([
        ['name', job.name], ['id', job.id], ['schedule', `${job.schedule} (${job.timezone})`], ['target', targetText(job.target)],
        ['action', actionText(job.action)], ['enabled', String(job.enabled)], ['missed', job.missedPolicy], ['timeout', `${job.timeoutSeconds}s`],
        ['next run', job.enabled ? `${job.nextRunAt ?? '-'} (${until(job.nextRunAt)})` : 'disabled'], ['last run', job.lastRunAt ?? 'never'],
      ]);
      const runs = await client.get<{ items: RunView[] }>(`${jobPath(job.name)}/runs`, { limit: 5 });
      if (runs.items.length) ctx.out.line('\nlatest runs:');
      for (const r of runs.items) ctx.out.line(`  ${formatAge(r.startedAt).padStart(4)} ago  ${r.trigger.padEnd(8)} ${paintRun(r.status, ctx)}${r.note ? ctx.out.colors.dim(`  ${r.note}`) : ''}`);
    }));

  jobs.command('rm <job>').alias('delete')
    .description('Delete a job and its run history')
    .option('-y, --yes', 'do not ask')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs rm nightly\n  berth jobs rm nightly --yes')
    .action(action(io, async (ctx, [name], opts: { yes?: boolean; json?: boolean }) => {
      if (!opts.yes && !(await confirm(`delete job ${name} and its run history?`, ctx.io))) throw new CliError('not deleted', ExitCode.ERROR);
      const job = await ctx.client().delete<JobView>(jobPath(name ?? ''));
      if (opts.json) return ctx.out.json(job);
      ctx.out.line(`${ctx.out.colors.green('✓')} job ${job.name} deleted`);
    }));

  jobs.command('run <job>')
    .description('Run a job now; with --wait, exit 1 unless every target succeeded')
    .option('-w, --wait', 'wait for the run to end and print its results')
    .option('--timeout <s>', 'with --wait: how long to wait (default 60)', integer(1, 3600), 60)
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs run nightly\n  berth jobs run nightly --wait --timeout 120')
    .action(action(io, async (ctx, [name], opts: { wait?: boolean; timeout: number; json?: boolean }) => {
      const run = await ctx.client().post<RunView>(`${jobPath(name ?? '')}/run`, undefined, opts.wait ? { wait: true, timeout: opts.timeout } : undefined, { timeoutMs: (opts.timeout + 10) * 1000 });
      if (opts.json) ctx.out.json(run);
      else printRun(ctx, run);
      if (opts.wait && run.status !== 'succeeded') process.exitCode = ExitCode.ERROR;
    }));

  jobs.command('runs <job>')
    .description('Run history, newest first')
    .option('-n, --limit <n>', 'how many (default 20)', integer(1, 500), 20)
    .option('--status <status>', 'only runs that ended so: succeeded, failed, timed_out, skipped, running')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth jobs runs nightly\n  berth jobs runs nightly --status failed -n 5')
    .action(action(io, async (ctx, [name], opts: { limit: number; status?: string; json?: boolean }) => {
      const res = await ctx.client().get<{ items: RunView[]; total: number }>(`${jobPath(name ?? '')}/runs`, { limit: opts.limit, status: opts.status });
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'started', value: (r: RunView) => r.startedAt },
        { header: 'trigger', value: (r) => r.trigger },
        { header: 'status', value: (r) => paintRun(r.status, ctx) },
        { header: 'took', value: (r) => (r.durationMs === null ? '-' : `${(r.durationMs / 1000).toFixed(1)}s`), right: true },
        { header: 'targets', value: (r) => `${r.results.filter((x) => x.outcome === 'succeeded').length}/${r.results.length}`, right: true },
        { header: 'note', value: (r) => r.note ?? r.results.find((x) => x.error)?.error ?? '' },
      ], res.items);
    }));
}
