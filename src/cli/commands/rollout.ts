import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';
import { formatAge } from '../format.js';
import { collect, keyValue, seconds } from '../parse-args.js';
import { Progress } from '../progress.js';

/** A rollout as the API returns it (see src/api/routes/revision-schemas.ts). */
interface Rollout {
  id: string;
  tenant: string | null;
  selector: Record<string, unknown>;
  patch: Record<string, unknown>;
  maxParallel: number;
  maxFailures: number;
  status: string;
  message: string | null;
  createdAt: string;
  counts: Record<string, number>;
  items: Array<{ instance: string; status: string; revision: number | null; message: string | null }>;
}

const DONE = ['succeeded', 'failed', 'cancelled'];
const path = (id: string): string => `/v1/rollouts/${encodeURIComponent(id)}`;
const summary = (r: Rollout): string => ['succeeded', 'failed', 'running', 'pending', 'skipped', 'cancelled'].filter((k) => r.counts[k]).map((k) => `${r.counts[k]} ${k}`).join(', ') || 'no instances';

/** `berth rollout create|ls|show|pause|resume|cancel`: one patch over many instances, in waves. */
export function registerRolloutCommands(program: Command, io: CliIo): void {
  const rollout = program.command('rollout').alias('rollouts').description('Fleet rollouts: create, ls, show, pause, resume, cancel')
    .addHelpText('after', '\nExamples:\n  berth rollout create --plan starter --image agent:v2 --max-parallel 5 --max-failures 2 --wait\n  berth rollout ls\n  berth rollout pause rol_…');

  rollout.command('create')
    .description('Move the selected instances to a patched spec, maxParallel at a time; stops past maxFailures')
    .addHelpText('after', '\nExamples:\n  berth rollout create --plan starter --image agent:v2 --max-parallel 5 --max-failures 2 --wait\n  berth rollout create --tenant acme --env LOG_LEVEL=debug')
    .option('--tenant <tenant>', 'select a tenant\'s instances')
    .option('--plan <plan>', 'select the instances on a plan')
    .option('--instances <names>', 'select instances by name or id (comma-separated)')
    .option('--image <image>', 'new image')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', keyValue)
    .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', collect)
    .option('--to-plan <plan>', 'move the instances to this plan')
    .option('--max-parallel <n>', 'instances moved at once', (v) => Number(v), 1)
    .option('--max-failures <n>', 'stop when more than this many fail', (v) => Number(v), 0)
    .option('--health-timeout <seconds>', 'how long each new revision has to become healthy', seconds)
    .option('--failure-action <action>', 'rollback (default) or pause')
    .option('-w, --wait', 'follow the rollout until it ends')
    .option('--timeout <seconds>', 'with --wait: how long to follow', seconds, 3600)
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, _args, opts: {
      tenant?: string; plan?: string; instances?: string; image?: string; env?: Record<string, string>; unsetEnv?: string[]; toPlan?: string;
      maxParallel: number; maxFailures: number; healthTimeout?: number; failureAction?: string; wait?: boolean; timeout: number; json?: boolean;
    }) => {
      const selectors = [opts.tenant, opts.plan, opts.instances].filter((s) => s !== undefined);
      if (selectors.length !== 1) throw usageError('select instances with exactly one of --tenant, --plan, --instances');
      const selector = opts.tenant ? { tenant: opts.tenant } : opts.plan ? { plan: opts.plan } : { instances: opts.instances!.split(',').map((s) => s.trim()).filter(Boolean) };
      const patch: Record<string, unknown> = {};
      if (opts.image) patch.image = opts.image;
      if (opts.toPlan) patch.plan = opts.toPlan;
      if (opts.env || opts.unsetEnv) patch.env = { ...(opts.env ?? {}), ...Object.fromEntries((opts.unsetEnv ?? []).map((k) => [k, null])) };
      if (!Object.keys(patch).length) throw usageError('name something to change: --image, --env, --unset-env or --to-plan');
      const rolloutOptions = {
        ...(opts.healthTimeout !== undefined ? { healthTimeoutSeconds: Math.round(opts.healthTimeout) } : {}),
        ...(opts.failureAction ? { failureAction: opts.failureAction } : {}),
      };
      const client = ctx.client();
      let r = await client.post<Rollout>('/v1/rollouts', {
        selector, patch, maxParallel: opts.maxParallel, maxFailures: opts.maxFailures, ...(Object.keys(rolloutOptions).length ? { rollout: rolloutOptions } : {}),
      });
      if (!opts.wait) {
        if (opts.json) return ctx.out.json(r);
        ctx.out.line(`${ctx.out.colors.green('✓')} rollout ${r.id} started over ${r.items.length} instances; follow with berth rollout show ${r.id}`);
        return;
      }
      const progress = new Progress(ctx.io.stderr, ctx.out.errColors);
      const until = Date.now() + opts.timeout * 1000;
      while (!DONE.includes(r.status) && Date.now() < until) {
        progress.update(`rollout ${r.id}: ${r.status}: ${summary(r)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        r = await client.get<Rollout>(path(r.id));
      }
      progress.finish(r.status === 'succeeded', `rollout ${r.id} ${r.status}: ${summary(r)}${r.message ? ` (${r.message})` : ''}`);
      if (opts.json) ctx.out.json(r);
    }));

  rollout.command('ls').alias('list')
    .description('Rollouts, newest first')
    .addHelpText('after', '\nExamples:\n  berth rollout ls\n  berth rollout ls --json')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const res = await ctx.client().get<{ items: Rollout[]; total: number }>('/v1/rollouts');
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'id', value: (r: Rollout) => r.id },
        { header: 'status', value: (r) => r.status },
        { header: 'selector', value: (r) => JSON.stringify(r.selector) },
        { header: 'instances', value: (r) => summary(r) },
        { header: 'age', value: (r) => formatAge(r.createdAt) },
      ], res.items);
    }));

  rollout.command('show <id>')
    .description('A rollout with each instance\'s outcome')
    .addHelpText('after', '\nExamples:\n  berth rollout show rol_01H…\n  berth rollout show rol_01H… --json')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, [id = ''], opts: { json?: boolean }) => {
      const r = await ctx.client().get<Rollout>(path(id));
      if (opts.json) return ctx.out.json(r);
      ctx.out.line(`rollout ${r.id}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
      ctx.out.line(`  patch ${JSON.stringify(r.patch)}; maxParallel ${r.maxParallel}, maxFailures ${r.maxFailures}; ${summary(r)}`);
      ctx.out.table([
        { header: 'instance', value: (i: Rollout['items'][number]) => i.instance },
        { header: 'status', value: (i) => i.status },
        { header: 'revision', value: (i) => (i.revision === null ? '' : String(i.revision)) },
        { header: 'message', value: (i) => i.message ?? '' },
      ], r.items);
    }));

  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    rollout.command(`${verb} <id>`)
      .description(verb === 'pause' ? 'Start no more instances (those mid-rollout finish)' : verb === 'resume' ? 'Continue a paused rollout' : 'Stop for good: pending instances are left as they are')
      .addHelpText('after', `\nExamples:\n  berth rollout ${verb} rol_01H…`)
      .option('--json', 'print the API response as JSON')
      .action(action(io, async (ctx, [id = ''], opts: { json?: boolean }) => {
        const r = await ctx.client().post<Rollout>(`${path(id)}/actions`, { action: verb });
        if (opts.json) return ctx.out.json(r);
        ctx.out.line(`${ctx.out.colors.green('✓')} rollout ${r.id} is ${r.status}: ${summary(r)}`);
      }));
  }
}
