import type { Command } from 'commander';
import { sleep } from '../../common/clock.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatPercent } from '../format.js';
import { instancePath } from '../instance-view.js';
import { seconds } from '../parse-args.js';

interface Stats {
  at: string;
  cpuPercent: number;
  onlineCpus?: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  pids: number;
}

const COLUMNS = [
  { header: 'time', value: (s: Stats) => s.at.slice(11, 19) },
  { header: 'cpu', value: (s: Stats) => formatPercent(s.cpuPercent), right: true },
  { header: 'memory', value: (s: Stats) => `${formatBytes(s.memoryBytes)} / ${formatBytes(s.memoryLimitBytes)}`, right: true },
  { header: 'mem %', value: (s: Stats) => formatPercent(s.memoryLimitBytes > 0 ? (s.memoryBytes / s.memoryLimitBytes) * 100 : null), right: true },
  { header: 'net rx / tx', value: (s: Stats) => `${formatBytes(s.networkRxBytes)} / ${formatBytes(s.networkTxBytes)}`, right: true },
  { header: 'pids', value: (s: Stats) => String(s.pids), right: true },
];

function render(ctx: CliContext, name: string, s: Stats): string {
  return `${ctx.out.colors.bold(name)}\n` + COLUMNS.map((c) => `  ${c.header.padEnd(12)} ${c.value(s)}`).join('\n');
}

/** `berth stats <name> [--watch]`: CPU, memory, network and PIDs from the engine. */
export function registerStatsCommand(program: Command, io: CliIo): void {
  program.command('stats <name>')
    .description('CPU, memory, network and PIDs of an instance (one shot, or --watch)')
    .option('-w, --watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'with --watch: seconds between samples', seconds, 2)
    .option('--json', 'print as JSON (with --watch: one sample per line)')
    .addHelpText('after', '\nExamples:\n  berth stats acme\n  berth stats acme --watch --interval 5')
    .action(action(io, async (ctx, [name = ''], opts: { watch?: boolean; interval: number; json?: boolean }) => {
      const client = ctx.client();
      const sample = async (): Promise<Stats> => {
        const s = await client.get<Stats>(`${instancePath(name)}/stats`);
        // The engine answers a stopped container with zeros and a zero time.
        if (!opts.json && s.at.startsWith('0001-')) throw new CliError(`${name} is not running: no stats`, ExitCode.CONFLICT, `start it with \`berth start ${name}\``);
        return s;
      };
      if (!opts.watch) {
        const s = await sample();
        if (opts.json) return ctx.out.json(s);
        return ctx.out.line(render(ctx, name, s));
      }
      const signal = ctx.interruptSignal();
      // On a terminal the sample is redrawn in place; in a pipe each sample is one table row.
      const live = ctx.io.stdout.isTTY === true && !opts.json;
      let header = false;
      while (!signal.aborted) {
        const s = await sample();
        if (opts.json) ctx.out.line(JSON.stringify(s));
        else if (live) ctx.io.stdout.write(`\x1b[H\x1b[2J${render(ctx, name, s)}\n${ctx.out.colors.dim(`every ${opts.interval}s · Ctrl-C to stop`)}\n`);
        else {
          const row = COLUMNS.map((c) => c.value(s)).join('\t');
          if (!header) ctx.out.line(COLUMNS.map((c) => c.header.toUpperCase()).join('\t'));
          header = true;
          ctx.out.line(row);
        }
        await sleep(opts.interval * 1000, signal);
      }
    }));
}
