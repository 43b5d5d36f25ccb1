import type { Command } from 'commander';
import type { BerthConfig } from '../../config/schema.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { loadDaemonConfig } from '../daemon-config.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { podmanIsolationCheck } from '../podman-check.js';
import { checkEgressRules, checkEngineConnection, componentCheck, HOST_SAFETY_COMPONENTS } from '../doctor-host-checks.js';
import { clusterChecks } from '../doctor-cluster.js';
import { checkDataDir, checkDisk, checkPortAllocation, checkPortRange, checkPostgresReachable, checkSocket, portFree, type Check } from '../doctor-checks.js';

interface HealthBody {
  status: string;
  version: string;
  components: Record<string, { status: string; detail?: string }>;
}

async function runChecks(ctx: CliContext, configPath: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  let config: BerthConfig | undefined;
  try {
    const loaded = await loadDaemonConfig({ env: ctx.env, cwd: ctx.io.cwd, configPath, flags: { dataDir: ctx.globals.dataDir } });
    config = loaded.config;
    checks.push({ name: 'config', status: 'ok', detail: loaded.source ?? 'defaults + environment' });
  } catch (error) {
    checks.push({ name: 'config', status: 'fail', detail: (error as Error).message, fix: 'fix the config file or the BERTH_* variable it names' });
  }

  const client = ctx.client();
  let health: HealthBody | undefined;
  try {
    const res = await client.probe<HealthBody>('/health', 3000);
    if (typeof res.body === 'object' && res.body !== null) health = res.body;
    checks.push({ name: 'daemon', status: health?.status === 'ok' ? 'ok' : 'warn', detail: `berth ${health?.version ?? '?'} at ${client.url}: ${health?.status ?? `HTTP ${res.status}`}` });
  } catch (error) {
    const message = error instanceof CliError ? error.message : (error as Error).message;
    checks.push({ name: 'daemon', status: 'fail', detail: message, fix: 'start it with `berth server start` (or `berth serve` in the foreground), or point --url/BERTH_URL at it' });
  }

  const runtime = health?.components.runtime;
  if (runtime) {
    checks.push(runtime.status === 'up'
      ? { name: 'engine', status: 'ok', detail: `${runtime.detail ?? 'up'}${config ? ` via ${config.docker.host}` : ''}` }
      : { name: 'engine', status: 'fail', detail: `the daemon cannot reach the engine: ${runtime.detail ?? 'down'}`, fix: 'start the engine (`bash scripts/ensure-docker.sh` or `sudo systemctl start docker`) and check DOCKER_HOST; berth reconnects by itself' });
  }
  if (runtime?.status === 'up' && /^podman /.test(runtime.detail ?? '')) checks.push(podmanIsolationCheck());
  if (config) checks.push(await checkSocket(config.docker.host), checkEngineConnection(config.docker));
  for (const [component, label] of Object.entries(HOST_SAFETY_COMPONENTS)) {
    const check = componentCheck(label, health?.components[component], 'see the README, "What every tenant container gets", for what this needs on the host');
    if (check) checks.push(check);
  }
  if (config && !health?.components.egress) checks.push(await checkEgressRules(config.runtime.scope));

  const store = health?.components.store;
  if (store) {
    checks.push(store.status === 'up'
      ? { name: 'store', status: 'ok', detail: `${store.detail ?? 'up'} (as the daemon sees it)` }
      : { name: 'store', status: 'fail', detail: store.detail ?? 'down', fix: 'check DATABASE_URL and that the database server runs; for SQLite, the data dir must be writable' });
  } else if (config) {
    checks.push(/^postgres(ql)?:/.test(config.database.url) ? await checkPostgresReachable(config.database.url) : await checkDataDir(config.dataDir));
  }

  if (config) {
    if (!health) {
      const free = await portFree(config.server.host, config.server.port);
      checks.push(free
        ? { name: 'api port', status: 'ok', detail: `${config.server.host}:${config.server.port} is free for berth` }
        : { name: 'api port', status: 'fail', detail: `${config.server.host}:${config.server.port} is taken by another program`, fix: 'stop that program, or run berth on another port (BERTH_PORT / --port) and set BERTH_URL to match' });
    }
    if (health) checks.push(...(await clusterChecks(client)));
    if (health) {
      try {
        // Every instance holds one host port; the total is one cheap page.
        const page = await client.get<{ total: number }>('/v1/instances', { limit: 1 });
        checks.push(checkPortAllocation(config, page.total));
      } catch (error) {
        checks.push({ name: 'ports', status: 'warn', detail: `could not count instances: ${(error as Error).message}`, fix: 'run doctor with an admin token (--token or the admin token file)' });
      }
    } else {
      checks.push(await checkPortRange(config));
    }
    checks.push(await checkDisk(config.dataDir));
  }
  return checks;
}

/** `berth doctor`: checks the engine, socket, store, ports and disk, and says what to fix. */
export function registerDoctorCommand(program: Command, io: CliIo): void {
  program.command('doctor')
    .description('Check the daemon, engine, socket permissions, store, free ports and disk; print what to fix')
    .option('-c, --config <file>', 'YAML config file the daemon uses')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', '\nExit code: 0 when nothing failed (warnings allowed), 5 when the daemon does not answer, 1 for other failures.\n\nExamples:\n  berth doctor\n  berth doctor --json | jq \'.checks[] | select(.status != "ok")\'')
    .action(action(io, async (ctx, _args, opts: { config?: string; json?: boolean }) => {
      const checks = await runChecks(ctx, opts.config);
      const failed = checks.filter((c) => c.status === 'fail');
      if (opts.json) ctx.out.json({ ok: failed.length === 0, checks });
      else {
        const c = ctx.out.colors;
        const mark = { ok: c.green('✓'), warn: c.yellow('!'), fail: c.red('✗') };
        const width = Math.max(...checks.map((x) => x.name.length));
        for (const check of checks) {
          ctx.out.line(`${mark[check.status]} ${check.name.padEnd(width)}  ${check.detail}`);
          if (check.fix && check.status !== 'ok') ctx.out.line(`  ${' '.repeat(width)}  ${c.dim('fix:')} ${check.fix}`);
        }
        ctx.out.line(failed.length === 0 ? c.green('\nno problems found') : c.red(`\n${failed.length} problem${failed.length === 1 ? '' : 's'} to fix`));
      }
      if (failed.some((f) => f.name === 'daemon')) process.exitCode = ExitCode.UNAVAILABLE;
      else if (failed.length > 0) process.exitCode = ExitCode.ERROR;
    }));
}
