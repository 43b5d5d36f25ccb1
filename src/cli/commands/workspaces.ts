import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatAge, formatBytes } from '../format.js';
import { confirm } from '../prompt.js';

interface WorkspaceView {
  id: string;
  tenant: string | null;
  volume: string;
  instanceId: string | null;
  instanceName: string | null;
  keptAt: string;
  sizeBytes: number | null;
  sizeMeasuredAt: string | null;
}

const path = (id: string): string => `/v1/workspaces/${encodeURIComponent(id)}`;

/** `berth workspaces ls|show|rm`: workspaces kept by `berth rm --keep-data`, with their sizes. */
export function registerWorkspaceCommands(program: Command, io: CliIo): void {
  const workspaces = program.command('workspaces').alias('workspace').description('Kept workspaces (from `berth rm --keep-data`): ls, show, rm')
    .addHelpText('after', '\nExamples:\n  berth workspaces ls\n  berth workspaces show wks_01H…\n  berth workspaces rm wks_01H… --yes');

  workspaces.command('ls').alias('list')
    .description('List kept workspaces, newest first, with their size (measured by the engine, up to a minute old)')
    .option('--tenant <tenant>', 'only this tenant\'s (admin tokens)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth workspaces ls\n  berth workspaces ls --tenant acme --json')
    .action(action(io, async (ctx, _args, opts: { tenant?: string; json?: boolean }) => {
      const res = await ctx.client().get<{ items: WorkspaceView[]; total: number }>('/v1/workspaces', opts.tenant ? { tenant: opts.tenant } : undefined);
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'id', value: (w: WorkspaceView) => w.id },
        { header: 'tenant', value: (w) => w.tenant ?? '-' },
        { header: 'instance', value: (w) => w.instanceName ?? '-' },
        { header: 'size', value: (w) => (w.sizeBytes === null ? '?' : formatBytes(w.sizeBytes)) },
        { header: 'kept', value: (w) => `${formatAge(w.keptAt)} ago` },
      ], res.items);
    }));

  workspaces.command('show <id>')
    .description('One kept workspace')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth workspaces show wks_01H…\n  berth workspaces show wks_01H… --json')
    .action(action(io, async (ctx, [id], opts: { json?: boolean }) => {
      const w = await ctx.client().get<WorkspaceView>(path(id ?? ''));
      if (opts.json) return ctx.out.json(w);
      ctx.out.line(`workspace ${w.id}`);
      ctx.out.line(`  tenant    ${w.tenant ?? '-'}`);
      ctx.out.line(`  instance  ${w.instanceName ?? '-'}${w.instanceId ? ctx.out.colors.dim(` (${w.instanceId})`) : ''}`);
      ctx.out.line(`  volume    ${w.volume}`);
      ctx.out.line(`  size      ${w.sizeBytes === null ? 'not measured' : `${formatBytes(w.sizeBytes)}${ctx.out.colors.dim(` (measured ${formatAge(w.sizeMeasuredAt)} ago)`)}`}`);
      ctx.out.line(`  kept      ${w.keptAt}`);
    }));

  workspaces.command('rm <id>').alias('delete')
    .description('Delete a kept workspace and its data')
    .option('-y, --yes', 'do not ask')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth workspaces rm wks_01H…\n  berth workspaces rm wks_01H… --yes')
    .action(action(io, async (ctx, [id], opts: { yes?: boolean; json?: boolean }) => {
      if (!opts.yes && !(await confirm(`delete kept workspace ${id} and its data?`, ctx.io))) throw new CliError('not deleted', ExitCode.ERROR);
      const w = await ctx.client().delete<WorkspaceView>(path(id ?? ''));
      if (opts.json) return ctx.out.json(w);
      ctx.out.line(`${ctx.out.colors.green('✓')} workspace ${w.id} deleted`);
    }));
}
