import type { Command } from 'commander';
import { sleep } from '../../common/clock.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatPercent } from '../format.js';
import { instancePath } from '../instance-view.js';
import { secondsAtLeast } from '../parse-args.js';

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

function notRunning(s: Stats): boolean {
  return s.at.startsWith('0001-');
}

/**
 * What the daemon answered that a watch outlives (the container is down or being replaced, the
 * engine is away); undefined for the rest, including a daemon that does not answer at all.
 */
function gapReason(error: unknown): string | undefined {
  if (!(error instanceof CliError) || !error.apiCode || error.apiCode === 'INSTANCE_NOT_FOUND') return undefined;
  if (error.exitCode === ExitCode.CONFLICT || error.exitCode === ExitCode.UNAVAILABLE || error.apiCode === 'CONTAINER_NOT_FOUND') return error.message;
  return undefined;
}

/** `berth stats <name> [--watch]`: CPU, memory, network and PIDs from the engine. */
export function registerStatsCommand(program: Command, io: CliIo): void {
  program.command('stats <name>')
    .description('CPU, memory, network and PIDs of an instance (one shot, or --watch)')
    .option('-w, --watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'with --watch: seconds between samples (at least 0.5)', secondsAtLeast(0.5), 2)
    .option('--json', 'print as JSON (with --watch: one sample per line)')
    .addHelpText('after', '\nA watch outlives restarts: while the container is down it says so, and resumes when it is back.\n\nExamples:\n  berth stats acme\n  berth stats acme --watch --interval 5')
    .action(action(io, async (ctx, [name = ''], opts: { watch?: boolean; interval: number; json?: boolean }) => {
      const client = ctx.client();
      // Only --json shows the disk figures, and a watch never: measuring them walks every volume on the engine.
      const get = (): Promise<Stats> => client.get<Stats>(`${instancePath(name)}/stats`, opts.json && !opts.watch ? {} : { disk: false });
      if (!opts.watch) {
        const s = await get();
        if (opts.json) return ctx.out.json(s);
        // The engine answers a stopped container with zeros and a zero time.
        if (notRunning(s)) throw new CliError(`${name} is not running: no stats`, ExitCode.CONFLICT, `start it with \`berth start ${name}\``);
        return ctx.out.line(render(ctx, name, s));
      }
      const signal = ctx.interruptSignal();
      // On a terminal the sample is redrawn in place; in a pipe each sample is one table row.
      const live = ctx.io.stdout.isTTY === true && !opts.json;
      const footer = ctx.out.colors.dim(`every ${opts.interval}s · Ctrl-C to stop`);
      let header = false;
      let lastGap: string | undefined;
      while (!signal.aborted) {
        const began = Date.now();
        let s: Stats | undefined;
        let gap: string | undefined;
        try {
          s = await get();
          if (notRunning(s)) gap = 'not running';
        } catch (error) {
          gap = gapReason(error);
          if (gap === undefined) throw error;
        }
        if (gap !== undefined) {
          // A gap is shown once, however long it lasts; the watch resumes when samples come back.
          if (gap !== lastGap) {
            const at = new Date().toISOString();
            if (opts.json) ctx.out.line(JSON.stringify({ at, running: false, reason: gap }));
            else if (live) ctx.io.stdout.write(`\x1b[H\x1b[2J${ctx.out.colors.bold(name)}\n  ${ctx.out.colors.yellow(`${gap} (since ${at.slice(11, 19)}); waiting for it to come back`)}\n${footer}\n`);
            else ctx.out.line(`${at.slice(11, 19)}\t-- ${name}: ${gap}; waiting for it to come back`);
          }
          lastGap = gap;
        } else if (s) {
          lastGap = undefined;
          if (opts.json) ctx.out.line(JSON.stringify(s));
          else if (live) ctx.io.stdout.write(`\x1b[H\x1b[2J${render(ctx, name, s)}\n${footer}\n`);
          else {
            if (!header) ctx.out.line(COLUMNS.map((c) => c.header.toUpperCase()).join('\t'));
            header = true;
            ctx.out.line(COLUMNS.map((c) => c.value(s!)).join('\t'));
          }
        }
        // The interval runs from sample to sample: the engine's own second of measuring is part of it.
        await sleep(Math.max(0, opts.interval * 1000 - (Date.now() - began)), signal);
      }
    }));
}
