import type { Command } from 'commander';
import type { OrphanList, OrphanVolume } from '../api-types.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { paintStatus } from '../format.js';

/** A gc answer's `removed` has no kept volumes: it shares the listing's shape otherwise. */
type Orphans = Omit<OrphanList, 'keptVolumes'> & Partial<Pick<OrphanList, 'keptVolumes'>>;

interface GcResult {
  removed: Orphans;
  kept: OrphanVolume[];
  failed: Array<{ kind: string; name: string; error: string }>;
}

interface Row {
  kind: string;
  name: string;
  state: string;
  tenant: string;
  reason: string;
}

function rows(orphans: Orphans, keptToo: boolean, ctx: CliContext): Row[] {
  const dim = ctx.out.colors.dim;
  return [
    ...orphans.containers.map((c) => ({ kind: 'container', name: c.name, state: paintStatus(c.state, ctx.out.colors), tenant: c.tenant ?? '-', reason: c.reason })),
    ...orphans.networks.map((n) => ({ kind: 'network', name: n.name, state: '-', tenant: n.tenant ?? '-', reason: n.reason })),
    ...orphans.volumes.map((v) => ({ kind: 'volume', name: v.name, state: '-', tenant: v.tenant ?? '-', reason: v.reason })),
    ...(orphans.keptVolumes ?? []).map((v) => ({ kind: 'volume', name: v.name, state: keptToo ? '-' : dim('kept'), tenant: v.tenant ?? '-', reason: keptToo ? v.reason : `${v.reason} (add --volumes)` })),
  ];
}

const COLUMNS = [
  { header: 'kind', value: (r: Row) => r.kind },
  { header: 'name', value: (r: Row) => r.name },
  { header: 'state', value: (r: Row) => r.state },
  { header: 'tenant', value: (r: Row) => r.tenant },
  { header: 'reason', value: (r: Row) => r.reason },
];

/** `berth gc`: orphaned berth objects of the daemon's scope, listed or removed by the daemon. */
export function registerGcCommand(program: Command, io: CliIo): void {
  program.command('gc')
    .description('List or remove orphaned berth containers, networks and workspace volumes (no instance row)')
    .option('--dry-run', 'only list what would be removed')
    .option('--volumes', 'also remove workspaces kept by `berth rm --keep-data` (their data is lost)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', `
Only objects labelled berth.managed=true with the daemon's own berth.scope are considered;
unlabelled containers and other berths' objects are never touched. berth's networks no
instance uses are listed too, the shared bridge included (the next create makes it again).
Workspace volumes whose instance was deleted with \`berth rm --keep-data\` are kept unless
--volumes is given. The daemon's reconciler removes the other orphans (not the shared bridge)
by itself too; gc does it now, and shows them.

Examples:
  berth gc --dry-run
  berth gc
  berth gc --volumes --json`)
    .action(action(io, async (ctx, _args, opts: { dryRun?: boolean; volumes?: boolean; json?: boolean }) => {
      const client = ctx.client();
      const c = ctx.out.colors;
      if (opts.dryRun) {
        const orphans = await client.get<Orphans>('/v1/system/orphans');
        if (opts.json) return ctx.out.json(orphans);
        const list = rows(orphans, opts.volumes === true, ctx);
        if (list.length === 0) return ctx.out.line('no orphans');
        ctx.out.table(COLUMNS, list);
        const removable = orphans.containers.length + orphans.networks.length + orphans.volumes.length + (opts.volumes ? (orphans.keptVolumes ?? []).length : 0);
        if (removable === 0) ctx.out.line(c.dim('\nnothing to remove; kept workspace volumes stay unless you run `berth gc --volumes`'));
        else ctx.out.line(c.dim(`\n${removable} to remove; run \`berth gc${opts.volumes ? ' --volumes' : ''}\` to remove ${removable === 1 ? 'it' : 'them'}`));
        return;
      }
      const result = await client.post<GcResult>('/v1/system/gc', { keptVolumes: opts.volumes === true }, undefined, { timeoutMs: 300_000 });
      if (opts.json) ctx.out.json(result);
      else {
        const removed = rows(result.removed, true, ctx);
        for (const r of removed) ctx.out.line(`${c.green('✓')} removed ${r.kind} ${r.name}`);
        for (const v of result.kept) ctx.out.line(`${c.dim('·')} kept workspace volume ${v.name} (${v.reason}; add --volumes to remove it)`);
        if (removed.length === 0 && result.failed.length === 0) ctx.out.line('no orphans removed');
      }
      if (result.failed.length > 0) {
        throw new CliError(`could not remove ${result.failed.map((f) => `${f.kind} ${f.name}: ${f.error}`).join('; ')}`, ExitCode.ERROR);
      }
    }));
}
