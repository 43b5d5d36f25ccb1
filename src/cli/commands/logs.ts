import type { Command } from 'commander';
import { readLines } from '../api-client.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';
import { instancePath } from '../instance-view.js';
import { integer } from '../parse-args.js';

interface LogLine {
  stream?: string;
  time?: string;
  text: string;
}

/** "10m", "2h", "30s", an ISO time, or unix seconds → unix seconds. */
export function parseSince(value: string, now = Date.now()): number {
  const rel = /^(\d+)([smhd])$/.exec(value);
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return Math.floor(now / 1000) - Number(rel[1]) * unit;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usageError(`--since: "${value}" is not a duration (10m, 2h) or a time`);
  return Math.floor(t / 1000);
}

function parseLine(raw: string): LogLine {
  if (raw.startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as LogLine;
      if (typeof parsed.text === 'string') return parsed;
    } catch {
      // plain text that starts with a brace
    }
  }
  return { text: raw };
}

function printLine(ctx: CliContext, line: LogLine, timestamps: boolean): void {
  const text = timestamps && line.time ? `${ctx.out.colors.dim(line.time)} ${line.text}` : line.text;
  (line.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout).write(`${text}\n`);
}

/** `berth logs <name> [-f] [--tail N]`: an instance's container output, through the daemon. */
export function registerLogsCommand(program: Command, io: CliIo): void {
  program.command('logs <name>')
    .description('Show an instance\'s logs (stdout and stderr)')
    .option('-f, --follow', 'keep streaming new lines (Ctrl-C to stop)')
    .option('-n, --tail <lines>', 'lines from the end', integer(0, 100000), 100)
    .option('--since <when>', 'only lines since a duration ago (10m, 2h) or a time')
    .option('-t, --timestamps', 'prefix each line with its time')
    .addHelpText('after', '\nExamples:\n  berth logs acme\n  berth logs acme -f --tail 0\n  berth logs acme --since 10m --timestamps')
    .action(action(io, async (ctx, [name = ''], opts: { follow?: boolean; tail: number; since?: string; timestamps?: boolean }) => {
      const query = { tail: opts.tail, follow: opts.follow ? true : undefined, since: opts.since ? parseSince(opts.since) : undefined, format: 'ndjson' };
      const signal = opts.follow ? ctx.interruptSignal() : new AbortController().signal;
      const res = await ctx.client().stream(`${instancePath(name)}/logs`, query, signal);
      const type = res.headers.get('content-type') ?? '';
      try {
        if (type.startsWith('application/json')) {
          const body = (await res.json()) as { lines?: LogLine[] } | LogLine[];
          for (const line of Array.isArray(body) ? body : (body.lines ?? [])) printLine(ctx, line, opts.timestamps === true);
          return;
        }
        for await (const raw of readLines(res)) printLine(ctx, type.includes('ndjson') ? parseLine(raw) : { text: raw }, opts.timestamps === true);
      } catch (error) {
        // Ctrl-C ends a follow: that is the normal way out, not an error.
        if (signal.aborted) return;
        throw error;
      }
    }));
}
