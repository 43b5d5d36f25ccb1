import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, type CliContext, type CliIo } from '../context.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { formatAge, paintStatus } from '../format.js';
import { instancePath, type Instance, type InstanceList } from '../instance-view.js';
import { collect, integer, keyValue, seconds } from '../parse-args.js';
import { Progress } from '../progress.js';
import { confirm } from '../prompt.js';
import { waitForStatus } from '../wait-for-status.js';
import type { EventView } from './events.js';

interface CreateOptions {
  name?: string;
  plan?: string;
  image?: string;
  env?: Record<string, string>;
  secret?: Record<string, string>;
  secretFile?: string[];
  port?: number;
  healthPath?: string;
  fromSnapshot?: string;
  scanDir?: string;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

function readSecretFiles(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw usageError(`--secret-file: expected KEY=path, got "${spec}"`);
    const file = spec.slice(eq + 1);
    try {
      // One trailing newline is what editors and `echo` add; it is not part of the secret.
      out[spec.slice(0, eq)] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw usageError(`--secret-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return out;
}

async function create(ctx: CliContext, tenant: string, command: string[], opts: CreateOptions): Promise<void> {
  const secrets = { ...(opts.secret ?? {}), ...readSecretFiles(opts.secretFile ?? []) };
  const body: Record<string, unknown> = { tenant };
  if (opts.name) body.name = opts.name;
  if (opts.plan) body.plan = opts.plan;
  if (opts.image) body.image = opts.image;
  if (command.length > 0) body.command = command;
  if (opts.env && Object.keys(opts.env).length > 0) body.env = opts.env;
  if (Object.keys(secrets).length > 0) body.secrets = secrets;
  if (opts.port !== undefined) body.port = opts.port;
  if (opts.healthPath) body.health = { path: opts.healthPath };
  if (opts.fromSnapshot) body.workspace = { fromSnapshot: opts.fromSnapshot };
  if (opts.scanDir) body.scanDir = opts.scanDir;
  const client = ctx.client();
  // A workspace from a snapshot is extracted before the answer: allow for a large one.
  const created = await client.post<Instance>('/v1/instances', body, undefined, opts.fromSnapshot ? { timeoutMs: 3_600_000 } : {});
  if (!opts.wait) {
    if (opts.json) return ctx.out.json(created);
    const c = ctx.out.colors;
    ctx.out.line(`${c.green('✓')} ${created.name} accepted: ${paintStatus(created.status, c)}${created.hostPort ? `, port ${created.hostPort}` : ''}`);
    ctx.out.note(c.dim(`follow it with \`berth show ${created.name}\`, or pass --wait next time`));
    return;
  }
  const progress = new Progress(ctx.io.stderr, ctx.out.errColors);
  const final = await waitForStatus(client, created.name, progress, ctx.out.errColors, { target: 'running', timeoutSeconds: opts.timeout });
  if (opts.json) ctx.out.json(final);
}

interface ListOptions {
  tenant?: string;
  status?: string;
  plan?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * Every page of the list, following the API's `next` cursor: a person asking for `ls` means all
 * of it. The table needs only the summary view; --json prints full instances.
 */
async function listAll(ctx: CliContext, opts: ListOptions): Promise<InstanceList> {
  const items: Instance[] = [];
  let total: number;
  let cursor: string | undefined;
  do {
    const page: InstanceList = await ctx.client().get<InstanceList>('/v1/instances', {
      tenant: opts.tenant, status: opts.status, plan: opts.plan, limit: 500, cursor, view: opts.json ? undefined : 'summary',
    });
    items.push(...page.items);
    total = page.total;
    cursor = page.next ?? undefined;
  } while (cursor);
  return { items, total };
}

async function list(ctx: CliContext, opts: ListOptions): Promise<void> {
  const res = await listAll(ctx, opts);
  if (opts.json) return ctx.out.json(res);
  if (opts.quiet) return res.items.forEach((i) => ctx.out.line(i.name));
  if (res.items.length === 0) {
    ctx.out.line(opts.tenant || opts.status || opts.plan ? 'no instances match' : 'no instances yet; create one with `berth create <tenant>`');
    return;
  }
  const c = ctx.out.colors;
  ctx.out.table([
    { header: 'name', value: (i: Instance) => i.name },
    { header: 'tenant', value: (i) => i.tenant },
    { header: 'plan', value: (i) => i.plan },
    { header: 'status', value: (i) => paintStatus(i.status, c) + (i.desiredState === 'stopped' && i.status !== 'stopped' ? c.dim(' (stopping)') : '') },
    { header: 'url', value: (i) => i.url ?? (i.hostPort ? `127.0.0.1:${i.hostPort}` : '-') },
    { header: 'restarts', value: (i) => String(i.restarts ?? 0), right: true },
    { header: 'age', value: (i) => formatAge(i.createdAt) },
  ], res.items);
}

async function show(ctx: CliContext, name: string, opts: { json?: boolean }): Promise<void> {
  const client = ctx.client();
  const instance = await client.get<Instance>(instancePath(name));
  if (opts.json) return ctx.out.json(instance);
  const c = ctx.out.colors;
  const pairs: Array<[string, string]> = [
    ['name', c.bold(instance.name)],
    ['id', instance.id],
    ['tenant', instance.tenant],
    ['plan', instance.plan],
    ['image', instance.image],
    ['status', `${paintStatus(instance.status, c)}${c.dim(` (desired: ${instance.desiredState})`)}`],
    ['url', instance.url ?? '-'],
    ['host port', instance.hostPort ? String(instance.hostPort) : '-'],
  ];
  if (instance.port !== undefined) pairs.push(['container port', String(instance.port)]);
  if (instance.command) pairs.push(['command', instance.command.join(' ')]);
  pairs.push(['restarts', String(instance.restarts ?? 0)]);
  if (instance.health?.path) pairs.push(['health', `GET ${instance.health.path} every ${instance.health.intervalSeconds ?? '?'}s`]);
  if (instance.lastCheckAt) pairs.push(['last check', `${instance.lastCheckOk ? c.green('ok') : c.red('failed')} ${formatAge(instance.lastCheckAt)} ago`]);
  pairs.push(['last error', instance.lastError ? c.red(instance.lastError) : '-']);
  if (instance.env && Object.keys(instance.env).length > 0) pairs.push(['env', Object.keys(instance.env).join(', ')]);
  if (instance.secretNames && instance.secretNames.length > 0) pairs.push(['secrets', `${instance.secretNames.join(', ')} ${c.dim('(values never shown)')}`]);
  pairs.push(['created', `${instance.createdAt} (${formatAge(instance.createdAt)} ago)`]);
  if (instance.startedAt) pairs.push(['started', `${instance.startedAt} (${formatAge(instance.startedAt)} ago)`]);
  ctx.out.pairs(pairs);
  try {
    const events = await client.get<{ items: EventView[] }>(`${instancePath(name)}/events`, { limit: 5 });
    if (events.items.length > 0) {
      ctx.out.line(`\n${c.dim('recent events:')}`);
      for (const e of [...events.items].sort((a, b) => a.id - b.id).slice(-5)) ctx.out.line(`  ${c.dim(formatAge(e.at).padStart(4))}  ${e.type.padEnd(14)} ${e.message}`);
    }
  } catch {
    // The details above are the answer; events are a bonus.
  }
}

async function remove(ctx: CliContext, name: string, opts: { keepData?: boolean; yes?: boolean; wait?: boolean; timeout: number; json?: boolean }): Promise<void> {
  if (!opts.yes) {
    const what = opts.keepData ? `delete instance ${name} (keeping its workspace volume)?` : `delete instance ${name} and its workspace data?`;
    if (!(await confirm(what, ctx.io))) throw new CliError('not deleted', ExitCode.ERROR);
  }
  const client = ctx.client();
  const res = await client.delete<Instance | undefined>(instancePath(name), opts.keepData ? { keepData: true } : undefined);
  if (opts.wait) {
    const progress = new Progress(ctx.io.stderr, ctx.out.errColors);
    await waitForStatus(client, name, progress, ctx.out.errColors, { target: 'gone', timeoutSeconds: opts.timeout });
  }
  if (opts.json) return ctx.out.json(res ?? { name, deleted: true });
  if (!opts.wait) ctx.out.line(`${ctx.out.colors.green('✓')} ${name} deleted${opts.keepData ? ' (workspace kept)' : ''}`);
}

/** `berth create|ls|show|rm`: instances. */
export function registerInstanceCommands(program: Command, io: CliIo): void {
  program.command('create <tenant> [command...]')
    .description('Create an instance for a tenant (one container, its port, its workspace)')
    .option('--name <name>', 'instance name (default: the tenant)')
    .option('--plan <plan>', 'plan: starter, pro, business, or one from the config')
    .option('--image <image>', 'image (default from the config; berth never pulls or builds)')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', keyValue)
    .option('--secret <KEY=VALUE>', 'secret env var, encrypted at rest, never shown (repeatable)', keyValue)
    .option('--secret-file <KEY=path>', 'secret read from a local file (repeatable)', collect)
    .option('--port <port>', 'port the app listens on inside the container', integer(1, 65535))
    .option('--health-path <path>', 'HTTP path probed for health, e.g. /health')
    .option('--from-snapshot <id>', 'start with a copy of this snapshot of the same tenant as its workspace')
    .option('--scan-dir <path>', 's6 scan directory to look in first for its services, e.g. /run/service')
    .option('-w, --wait', 'wait until it is running and healthy, showing its status')
    .option('--timeout <seconds>', 'with --wait: how long to wait', seconds, 120)
    .option('--json', 'print the instance as JSON')
    .addHelpText('after', `
Arguments after -- replace the image's command.

Examples:
  berth create acme --plan starter --wait
  berth create acme --name acme-eu --plan pro --env LOG_LEVEL=debug --secret-file OPENAI_API_KEY=./key.txt
  berth create acme --image my/agent:1.2 --port 3000 --health-path /healthz -- node server.js`)
    .action(action(io, async (ctx, [tenant, ...command], opts: CreateOptions) => create(ctx, tenant ?? '', command, opts)));

  program.command('ls').alias('list')
    .description('List instances')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--status <status>', 'only this status (running, stopped, crashloop, failed, …)')
    .option('--plan <plan>', 'only this plan')
    .option('-q, --quiet', 'print names only')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth ls\n  berth ls --tenant acme --status running\n  berth ls --json | jq -r \'.items[] | select(.status != "running") | .name\'')
    .action(action(io, async (ctx, _args, opts: ListOptions) => list(ctx, opts)));

  program.command('show <name>').alias('inspect')
    .description('Show one instance: status, URL, restarts, last error, recent events')
    .option('--json', 'print the instance as JSON')
    .addHelpText('after', '\nExamples:\n  berth show acme\n  berth show acme --json | jq .status')
    .action(action(io, async (ctx, [name], opts: { json?: boolean }) => show(ctx, name ?? '', opts)));

  program.command('rm <name>').alias('delete')
    .description('Delete an instance: its container, port and (unless --keep-data) workspace')
    .option('--keep-data', 'keep the workspace volume')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('-w, --wait', 'wait until it is gone')
    .option('--timeout <seconds>', 'with --wait: how long to wait', seconds, 120)
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nWithout --yes, rm asks on a terminal and refuses (exit 2) when there is none.\n\nExamples:\n  berth rm acme\n  berth rm acme --yes --keep-data')
    .action(action(io, async (ctx, [name], opts: { keepData?: boolean; yes?: boolean; wait?: boolean; timeout: number; json?: boolean }) => remove(ctx, name ?? '', opts)));
}
