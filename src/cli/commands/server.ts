import { existsSync, mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { sleep } from '../../common/clock.js';
import type { BerthConfig } from '../../config/schema.js';
import { ApiClient } from '../api-client.js';
import { listenUrl } from '../connection.js';
import { loadDaemonConfig } from '../daemon-config.js';
import { deferDaemonModules } from '../defer-daemon-modules.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import { formatLogLine, prettyDestination, wantPretty } from '../log-format.js';
import { integer, seconds } from '../parse-args.js';
import { followFile, lastLines } from '../tail-file.js';
import {
  readLogSince, readPidFile, readyUrlFromLog, recordUrl, removePidFile, serverFiles, spawnDaemon, terminate, type PidState, type ServerFiles,
} from '../server-control.js';

interface ServeOptions {
  config?: string;
  host?: string;
  port?: string;
  logLevel?: string;
}

function addServeOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML config file (default: $BERTH_CONFIG or ./berth.yml)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', 'listen port (default 8081)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace');
}

function serveFlags(opts: ServeOptions, dataDir: string | undefined): Record<string, string | undefined> {
  return { 'server.host': opts.host, 'server.port': opts.port, dataDir, 'log.level': opts.logLevel };
}

/** The same config `berth serve` will load, for where it listens and keeps its files. */
async function daemonConfig(ctx: CliContext, opts: ServeOptions): Promise<BerthConfig> {
  try {
    return (await loadDaemonConfig({ env: ctx.env, cwd: ctx.io.cwd, configPath: opts.config, flags: serveFlags(opts, ctx.globals.dataDir) })).config;
  } catch (error) {
    throw new CliError(`config: ${(error as Error).message}`, ExitCode.USAGE);
  }
}

function localUrl(config: BerthConfig): string {
  return listenUrl(config.server.host, config.server.port);
}

/**
 * Where to look for the daemon: --url; --host/--port given to this command; BERTH_URL; the
 * address recorded in berth.url by `server start`; else where the config says it listens.
 */
function targetUrl(ctx: CliContext, opts: ServeOptions, config: BerthConfig, state: PidState): string {
  if (ctx.globals.url) return ctx.globals.url.replace(/\/+$/, '');
  if (opts.host || opts.port) return localUrl(config);
  if (ctx.env.BERTH_URL) return ctx.env.BERTH_URL.replace(/\/+$/, '');
  return state.state === 'running' && state.url ? state.url : localUrl(config);
}

function serveArgs(opts: ServeOptions): string[] {
  const args: string[] = [];
  if (opts.config) args.push('--config', opts.config);
  if (opts.host) args.push('--host', opts.host);
  if (opts.port) args.push('--port', opts.port);
  if (opts.logLevel) args.push('--log-level', opts.logLevel);
  return args;
}

async function answersReady(url: string): Promise<boolean> {
  try {
    const client = new ApiClient({ url, token: undefined, tokenSource: 'none', dataDir: '' });
    return (await client.probe('/ready', 1000)).status === 200;
  } catch {
    return false;
  }
}

function staleNote(ctx: CliContext, files: ServerFiles, pid: number | undefined): void {
  removePidFile(files);
  ctx.out.note(`removed a stale pid file (${pid === undefined ? 'unreadable' : `pid ${pid} is not a running berth`}): ${files.pidFile}`);
}

async function start(ctx: CliContext, opts: ServeOptions & { timeout: number; json?: boolean }): Promise<void> {
  const config = await daemonConfig(ctx, opts);
  const files = serverFiles(config.dataDir);
  mkdirSync(files.dataDir, { recursive: true, mode: 0o700 });
  const url = localUrl(config);
  const existing = readPidFile(files);
  if (existing.state === 'running') {
    const at = existing.url ?? url;
    if (opts.json) ctx.out.json({ pid: existing.pid, url: at, dataDir: files.dataDir, tokenFile: files.tokenFile, logFile: files.logFile, alreadyRunning: true });
    else ctx.out.line(`berth is already running (pid ${existing.pid}) at ${at}`);
    return;
  }
  if (existing.state === 'stale') staleNote(ctx, files, existing.pid);
  if (await answersReady(url)) {
    throw new CliError(`something already answers at ${url} (another berth?)`, ExitCode.CONFLICT, 'stop it first, or start this one on another port with --port');
  }

  const daemon = spawnDaemon(files, serveArgs(opts), ctx.env, ctx.io.cwd);
  let exitCode: number | null | undefined;
  void daemon.exited.then((code) => (exitCode = code));
  const timeoutMs = opts.timeout * 1000;
  const until = Date.now() + timeoutMs;
  let readyAt: string | undefined;
  while (Date.now() < until) {
    if (exitCode !== undefined) break;
    const logged = readyUrlFromLog(readLogSince(files, daemon.logOffset));
    if (logged && (await answersReady(logged))) {
      readyAt = logged;
      break;
    }
    if (await answersReady(url)) {
      readyAt = url;
      break;
    }
    await sleep(150);
  }
  if (!readyAt) {
    const log = readLogSince(files, daemon.logOffset).trim().split('\n').slice(-15).map((l) => `  ${formatLogLine(l, ctx.out.errColors)}`).join('\n');
    if (exitCode !== undefined) {
      removePidFile(files);
      throw new CliError(`berth exited during start (code ${exitCode}); the end of ${files.logFile}:\n${log}`, ExitCode.ERROR);
    }
    throw new CliError(`berth (pid ${daemon.pid}) was not ready within ${opts.timeout}s; it is still starting. See ${files.logFile}:\n${log}`, ExitCode.UNAVAILABLE, 'check `berth server status` or stop it with `berth server stop`');
  }
  recordUrl(files, daemon.pid, readyAt);
  if (opts.json) {
    ctx.out.json({ pid: daemon.pid, url: readyAt, dataDir: files.dataDir, tokenFile: files.tokenFile, logFile: files.logFile, alreadyRunning: false });
    return;
  }
  const c = ctx.out.colors;
  ctx.out.line(`${c.green('✓')} berth is running at ${c.bold(readyAt)} (pid ${daemon.pid})`);
  ctx.out.pairs([
    ['admin token', files.tokenFile],
    ['log', files.logFile],
    ['pid file', files.pidFile],
  ]);
  // Commands run with this data dir find it through berth.url; others need the URL.
  if (readyAt !== 'http://127.0.0.1:8081' && !ctx.env.BERTH_URL) ctx.out.line(c.dim(`from another data dir or host: export BERTH_URL=${readyAt}`));
}

async function stop(ctx: CliContext, opts: ServeOptions & { timeout?: number }): Promise<void> {
  const config = await daemonConfig(ctx, opts);
  const files = serverFiles(config.dataDir);
  const state = readPidFile(files);
  if (state.state !== 'running') {
    if (state.state === 'stale') staleNote(ctx, files, state.pid);
    const url = targetUrl(ctx, opts, config, state);
    // Not ours to signal: stopping it is its owner's job, and saying "not running" would be false.
    if (await answersReady(url)) {
      throw new CliError(
        `a berth answers at ${url}, but it was not started by \`berth server start\` with this data dir (no live pid in ${files.pidFile}); nothing was stopped`,
        ExitCode.ERROR,
        'stop it where it runs: Ctrl-C in its terminal (npm start, berth serve), `systemctl stop <unit>` or `docker stop <container>` for a service, or SIGTERM to its process',
      );
    }
    ctx.out.line(state.state === 'none' ? `berth is not running (no pid file at ${files.pidFile}, nothing answers at ${url})` : 'berth is not running');
    return;
  }
  const graceMs = opts.timeout !== undefined ? opts.timeout * 1000 : (config.server.shutdownGraceSeconds + 5) * 1000;
  ctx.out.note(`stopping berth (pid ${state.pid}) …`);
  const started = Date.now();
  const how = await terminate(state.pid, graceMs);
  removePidFile(files);
  if (how === 'killed') ctx.out.line(`${ctx.out.colors.yellow('!')} berth (pid ${state.pid}) did not stop within ${graceMs / 1000}s and was killed`);
  else ctx.out.line(`${ctx.out.colors.green('✓')} berth stopped (pid ${state.pid}, ${((Date.now() - started) / 1000).toFixed(1)}s); tenant containers keep running`);
}

interface HealthBody {
  status: string;
  version: string;
  uptimeSeconds: number;
  components: Record<string, { status: string; detail?: string }>;
  cluster?: { role: string; processId: string; leader: string | null; leaseAgeSeconds: number | null; term: number | null; mode: string };
}

async function status(ctx: CliContext, opts: ServeOptions & { json?: boolean }): Promise<void> {
  const config = await daemonConfig(ctx, opts);
  const files = serverFiles(config.dataDir);
  const state = readPidFile(files);
  if (state.state === 'stale') staleNote(ctx, files, state.pid);
  const url = targetUrl(ctx, opts, config, state);
  let health: HealthBody | undefined;
  try {
    const res = await new ApiClient({ url, token: undefined, tokenSource: 'none', dataDir: files.dataDir }).probe<HealthBody>('/health', 3000);
    if (res.status === 200 && typeof res.body === 'object') health = res.body;
  } catch {
    health = undefined;
  }
  const pid = state.state === 'running' ? state.pid : null;
  if (opts.json) {
    ctx.out.json({ running: health !== undefined, pid, url, pidFile: files.pidFile, logFile: files.logFile, health: health ?? null });
  } else if (health) {
    const c = ctx.out.colors;
    ctx.out.line(`${c.green('●')} berth ${health.version} is running at ${url}${pid ? ` (pid ${pid})` : ' (not started by `berth server start`)'}, up ${formatDuration(health.uptimeSeconds * 1000)}, ${health.status}`);
    const k = health.cluster;
    if (k) {
      const lease = k.leaseAgeSeconds === null ? '' : `, lease held ${formatDuration(k.leaseAgeSeconds * 1000)}`;
      ctx.out.line(`  ${'role'.padEnd(10)} ${k.role === 'leader' ? c.green(k.role) : k.role}${c.dim(`  ${k.processId}; leader ${k.leader ?? 'none'}${k.term === null ? '' : ` (term ${k.term})`}${lease}`)}`);
    }
    for (const [name, comp] of Object.entries(health.components)) {
      ctx.out.line(`  ${name.padEnd(10)} ${comp.status === 'up' ? c.green(comp.status) : c.red(comp.status)}${comp.detail ? c.dim(`  ${comp.detail}`) : ''}`);
    }
  } else if (pid) {
    ctx.out.line(`berth (pid ${pid}) is running but does not answer at ${url}; see ${files.logFile}`);
  } else {
    ctx.out.line(`berth is not running at ${url}`);
  }
  if (!health) process.exitCode = ExitCode.UNAVAILABLE;
}

async function logs(ctx: CliContext, opts: ServeOptions & { follow?: boolean; tail: number; raw?: boolean }): Promise<void> {
  const config = await daemonConfig(ctx, opts);
  const files = serverFiles(config.dataDir);
  if (!existsSync(files.logFile)) throw new CliError(`no log at ${files.logFile}`, ExitCode.NOT_FOUND, 'the log is written by `berth server start`');
  // The file is JSON; shown as the daemon's own output is: readable on a terminal, JSON in a pipe.
  const pretty = !opts.raw && wantPretty(config.log.format, ctx.io.stdout.isTTY);
  const print = (line: string): void => ctx.out.line(pretty ? formatLogLine(line, ctx.out.colors) : line);
  const { lines, size } = lastLines(files.logFile, opts.tail);
  lines.forEach(print);
  if (opts.follow) await followFile(files.logFile, size, print, ctx.interruptSignal());
}

/** `berth serve` (foreground) and `berth server start|stop|status|logs` (background). */
export function registerServerCommands(program: Command, io: CliIo): void {
  addServeOptions(program.command('serve'))
    .description('Run the berth daemon in the foreground (Ctrl-C stops it)')
    .addHelpText('after', '\nExamples:\n  berth serve\n  BERTH_PORT=9000 berth serve --data-dir /var/lib/berth\n  DATABASE_URL=postgres://berth@db/berth berth serve')
    .action(action<ServeOptions>(io, async (ctx, _args, opts) => {
      // Loaded only here: the daemon's dependencies would slow every other command's start.
      deferDaemonModules();
      const { runServe } = await import('../run-serve.js');
      await runServe({
        env: ctx.env, ...(opts.config ? { configPath: opts.config } : {}), flags: serveFlags(opts, ctx.globals.dataDir),
        logDestinationFor: (format) => (wantPretty(format, ctx.io.stdout.isTTY) ? prettyDestination(ctx.io.stdout, ctx.out.colors) : undefined),
      });
    }));

  const server = program.command('server').description('Run berth in the background: start, stop, status, logs')
    .addHelpText('after', '\nExamples:\n  berth server start\n  berth server status\n  berth server logs -f\n  berth server stop');

  addServeOptions(server.command('start'))
    .description('Start the daemon in the background and wait until it is ready')
    .option('--timeout <seconds>', 'how long to wait for /ready', seconds, 60)
    .option('--json', 'print pid, url and file paths as JSON')
    .addHelpText('after', `\nThe pid file (berth.pid), its address (berth.url) and the log (berth.log) live in the data dir.\n\nExamples:\n  berth server start\n  berth server start --port 9000 --data-dir /var/lib/berth\n  DATABASE_URL=postgres://berth@db/berth berth server start`)
    .action(action(io, async (ctx, _args, opts: ServeOptions & { timeout: number; json?: boolean }) => start(ctx, opts)));

  server.command('stop')
    .description('Stop the background daemon: SIGTERM, wait, SIGKILL after the grace period')
    .option('-c, --config <file>', 'YAML config file')
    .option('--timeout <seconds>', 'grace period before SIGKILL (default: server.shutdownGraceSeconds + 5)', seconds)
    .addHelpText('after', '\nTenant containers keep running while berth is stopped.\n\nExamples:\n  berth server stop\n  berth server stop --timeout 5')
    .action(action(io, async (ctx, _args, opts: ServeOptions & { timeout?: number }) => stop(ctx, opts)));

  addServeOptions(server.command('status'))
    .description('Is the daemon running? Its pid, URL, uptime and components (exit 5 when not running)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  berth server status\n  berth server status --json | jq .health.components')
    .action(action(io, async (ctx, _args, opts: ServeOptions & { json?: boolean }) => status(ctx, opts)));

  // The same, at the top level: with several berths it also says which one leads.
  addServeOptions(program.command('status'))
    .description('Is the daemon running? Its role (leader or follower), the leader, uptime and components (exit 5 when not running)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  berth status\n  berth status --url http://10.0.0.2:8081 --json | jq .health.cluster')
    .action(action(io, async (ctx, _args, opts: ServeOptions & { json?: boolean }) => status(ctx, opts)));

  server.command('logs')
    .description('Show the daemon log (berth.log in the data dir)')
    .option('-c, --config <file>', 'YAML config file')
    .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
    .option('-n, --tail <lines>', 'lines from the end', integer(0), 50)
    .option('--raw', 'print the JSON lines as written (the default outside a terminal; BERTH_LOG_FORMAT=pretty forces readable lines)')
    .addHelpText('after', '\nExamples:\n  berth server logs\n  berth server logs -f --tail 0\n  berth server logs --raw | jq .msg')
    .action(action(io, async (ctx, _args, opts: ServeOptions & { follow?: boolean; tail: number; raw?: boolean }) => logs(ctx, opts)));
}
