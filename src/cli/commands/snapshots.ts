import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';
import { formatAge, formatBytes, paintStatus } from '../format.js';
import { Progress } from '../progress.js';

interface SnapshotView {
  id: string;
  instance: string;
  tenant: string;
  status: string;
  trigger: string;
  mode: string;
  sizeBytes: number | null;
  sha256: string | null;
  pauseMs: number | null;
  error: string | null;
  createdAt: string;
}

/** `berth snapshot create|ls|restore|rm`: workspace snapshots. */
export function registerSnapshotCommands(program: Command, io: CliIo): void {
  const snapshots = program.command('snapshot').alias('snapshots').description('Workspace snapshots: create, ls, restore, rm')
    .addHelpText('after', `
Examples:
  berth snapshot create acme                 pause the agent, copy /workspace, thaw it
  berth snapshot ls acme
  berth snapshot restore snp_01… acme        the instance's workspace becomes the snapshot
  berth create acme --name acme-2 --from-snapshot snp_01…`);

  snapshots.command('create <instance>')
    .description('Snapshot an instance\'s /workspace now (the agent is paused, or with --stop stopped, for the copy)')
    .addHelpText('after', '\nExamples:\n  berth snapshot create acme\n  berth snapshot create acme --stop --json')
    .option('--stop', 'stop the agent for the copy and start it again (instead of pausing it)')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, [instance], opts: { stop?: boolean; json?: boolean }) => {
      const progress = new Progress(ctx.io.stderr, ctx.out.colors);
      if (!opts.json) progress.update(`snapshotting ${instance} (${opts.stop ? 'stopping' : 'pausing'} the agent for the copy)`);
      let made: SnapshotView;
      try {
        made = await ctx.client().post<SnapshotView>(`/v1/instances/${encodeURIComponent(instance!)}/snapshots`, { mode: opts.stop ? 'stop' : 'pause' }, undefined, { timeoutMs: 3_600_000 });
      } finally {
        progress.stop();
      }
      if (opts.json) return ctx.out.json(made);
      ctx.out.line(`${ctx.out.colors.green('✓')} snapshot ${made.id} of ${made.instance}: ${formatBytes(made.sizeBytes)}, agent ${made.mode === 'stop' ? 'down' : 'paused'} ${made.pauseMs} ms, sha256 ${made.sha256}`);
    }));

  snapshots.command('ls [instance]').alias('list')
    .description('List snapshots, newest first (of one instance, or all you may see)')
    .addHelpText('after', '\nExamples:\n  berth snapshot ls\n  berth snapshot ls acme --json')
    .option('--tenant <tenant>', 'only this tenant\'s')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, [instance], opts: { tenant?: string; json?: boolean }) => {
      const res = await ctx.client().get<{ items: SnapshotView[]; total: number }>('/v1/snapshots', { instance, tenant: opts.tenant });
      if (opts.json) return ctx.out.json(res);
      if (res.items.length === 0) return ctx.out.line('no snapshots');
      ctx.out.table([
        { header: 'id', value: (s: SnapshotView) => s.id },
        { header: 'instance', value: (s) => s.instance },
        { header: 'tenant', value: (s) => s.tenant },
        { header: 'status', value: (s) => paintStatus(s.status === 'ready' ? 'running' : s.status, ctx.out.colors).replace('running', 'ready') },
        { header: 'trigger', value: (s) => s.trigger },
        { header: 'size', value: (s) => formatBytes(s.sizeBytes) },
        { header: 'paused', value: (s) => (s.pauseMs === null ? '-' : `${s.pauseMs} ms`) },
        { header: 'age', value: (s) => formatAge(s.createdAt) },
      ], res.items);
    }));

  snapshots.command('restore <snapshot> [instance]')
    .description('Restore a snapshot into an instance of its tenant (default: the one it was taken of); the agent restarts on it')
    .addHelpText('after', '\nExamples:\n  berth snapshot restore snp_01H…\n  berth snapshot restore snp_01H… acme-copy')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, [id, instance], opts: { json?: boolean }) => {
      const client = ctx.client();
      const target = instance ?? (await client.get<SnapshotView & { instanceId: string }>(`/v1/snapshots/${encodeURIComponent(id!)}`)).instanceId;
      const progress = new Progress(ctx.io.stderr, ctx.out.colors);
      if (!opts.json) progress.update(`restoring ${id} (checking, extracting, then restarting the agent on it)`);
      let res: { instance: { name: string; status: string } };
      try {
        res = await client.post(`/v1/instances/${encodeURIComponent(target)}/snapshots/${encodeURIComponent(id!)}/restore`, {}, undefined, { timeoutMs: 3_600_000 });
      } finally {
        progress.stop();
      }
      if (opts.json) return ctx.out.json(res);
      ctx.out.line(`${ctx.out.colors.green('✓')} ${res.instance.name} restored from ${id} (${res.instance.status})`);
    }));

  snapshots.command('rm <snapshot>').alias('delete')
    .description('Delete a snapshot and its file')
    .addHelpText('after', '\nExamples:\n  berth snapshot rm snp_01H…\n  berth snapshot rm snp_01H… --json')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, [id], opts: { json?: boolean }) => {
      if (!id) throw usageError('name the snapshot to delete');
      const res = await ctx.client().delete<SnapshotView>(`/v1/snapshots/${encodeURIComponent(id)}`);
      if (opts.json) return ctx.out.json(res);
      ctx.out.line(`${ctx.out.colors.green('✓')} snapshot ${id} deleted`);
    }));
}
