import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { action, type CliIo } from '../context.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { formatAge } from '../format.js';
import { instancePath, type Instance } from '../instance-view.js';
import { collect, keyValue, seconds } from '../parse-args.js';
import { Progress } from '../progress.js';

/** What PATCH, rollback and …/upgrades answer (see src/api/routes/revision-schemas.ts). */
interface Upgrade {
  id: string;
  kind: string;
  fromRevision: number;
  toRevision: number;
  status: string;
  phase: string;
  message: string | null;
  downtimeMs: number | null;
}
interface Change {
  instance: Instance & { revision: number };
  revision: { revision: number; changed: string[] } | null;
  upgrade: Upgrade | null;
  changed: boolean;
}
interface Revision {
  revision: number;
  current: boolean;
  changed: string[];
  actor: string;
  reason: string | null;
  createdAt: string;
  spec: { image: string; plan: string };
}

const ENDED = ['succeeded', 'rolled-back', 'failed', 'paused', 'cancelled'];
const PHASES: Record<string, string> = { pending: 'queued', created: 'new container created', switched: 'old stopped, new starting: health gate', committed: 'healthy; removing the old container' };

interface RolloutFlags { healthTimeout?: number; failureAction?: string; reason?: string; wait?: boolean; timeout: number; json?: boolean }

function rolloutOptions(opts: RolloutFlags): Record<string, unknown> {
  const rollout: Record<string, unknown> = {};
  if (opts.healthTimeout !== undefined) rollout.healthTimeoutSeconds = Math.round(opts.healthTimeout);
  if (opts.failureAction !== undefined) {
    if (!['rollback', 'pause'].includes(opts.failureAction)) throw usageError('--failure-action is rollback or pause');
    rollout.failureAction = opts.failureAction;
  }
  return { ...(Object.keys(rollout).length ? { rollout } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
}

/** Follows an upgrade until it ends, one progress line per phase; returns it as it ended. */
async function follow(client: ApiClient, name: string, upgrade: Upgrade, progress: Progress, timeoutSeconds: number): Promise<Upgrade> {
  const until = Date.now() + timeoutSeconds * 1000;
  let current = upgrade;
  while (!ENDED.includes(current.status) && Date.now() < until) {
    const inst = await client.get<Instance>(instancePath(name));
    progress.update(`${name}: revision ${current.fromRevision} → ${current.toRevision}: ${PHASES[current.phase] ?? current.phase} (instance ${inst.status})`);
    await new Promise((r) => setTimeout(r, 500));
    const list = await client.get<{ items: Upgrade[] }>(`${instancePath(name)}/upgrades`);
    current = list.items.find((u) => u.id === upgrade.id) ?? current;
  }
  return current;
}

async function report(ctx: Parameters<Parameters<typeof action>[1]>[0], name: string, res: Change, opts: RolloutFlags): Promise<void> {
  const { green, dim } = ctx.out.colors;
  if (!res.upgrade) {
    if (opts.json) return ctx.out.json(res);
    ctx.out.line(`${green('✓')} nothing to change: ${name} is on revision ${res.instance.revision}`);
    return;
  }
  if (!opts.wait) {
    if (opts.json) return ctx.out.json(res);
    ctx.out.line(`${green('✓')} ${res.upgrade.kind} of ${name} to revision ${res.upgrade.toRevision} started${res.revision?.changed.length ? ` (${res.revision.changed.join(', ')})` : ''}; follow with ${dim(`berth revisions ${name}`)}`);
    return;
  }
  const progress = new Progress(ctx.io.stderr, ctx.out.errColors);
  const ended = await follow(ctx.client(), name, res.upgrade, progress, opts.timeout);
  const ok = ended.status === 'succeeded';
  const downtime = ended.downtimeMs === null ? '' : `, ${(ended.downtimeMs / 1000).toFixed(2)}s without an answer`;
  progress.finish(ok, ok ? `${name} on revision ${ended.toRevision} (${progress.elapsedSeconds()}${downtime})` : `${name}: ${ended.status}: ${ended.message ?? ''}`);
  if (opts.json) ctx.out.json({ ...res, upgrade: ended });
  if (!ok && ENDED.includes(ended.status)) throw new CliError(`${ended.kind} of ${name} to revision ${ended.toRevision} ${ended.status}`, ExitCode.ERROR, `see \`berth events ${name}\``);
  if (!ok) throw new CliError(`timed out following the rollout of ${name} (it is ${ended.status})`, ExitCode.ERROR, 'follow longer with --timeout');
}

/** `berth upgrade|rollback|revisions <instance>`: change an instance through a health-gated rollout. */
export function registerUpgradeCommands(program: Command, io: CliIo): void {
  program.command('upgrade <instance>')
    .description('Change an instance (a new revision), rolled out health-gated; rolled back on failure')
    .option('--image <image>', 'new image (present on the engine)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', keyValue)
    .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', collect)
    .option('--secret <KEY=VALUE>', 'set a secret (repeatable)', keyValue)
    .option('--unset-secret <KEY>', 'remove a secret (repeatable)', collect)
    .option('--plan <plan>', 'new plan')
    .option('--port <port>', 'new container port', (v) => Number(v))
    .option('--health-timeout <seconds>', 'how long the new revision has to become healthy', seconds)
    .option('--failure-action <action>', 'rollback (default) or pause')
    .option('--reason <text>', 'recorded with the revision')
    .option('-w, --wait', 'follow the rollout until it ends, showing its progress')
    .option('--timeout <seconds>', 'with --wait: how long to follow', seconds, 600)
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth upgrade acme --image agent:v2 --wait\n  berth upgrade acme --env LOG_LEVEL=debug --plan pro --wait\n  berth upgrade acme --unset-env OLD_FLAG --json')
    .action(action(io, async (ctx, [name = ''], opts: RolloutFlags & { image?: string; env?: Record<string, string>; unsetEnv?: string[]; secret?: Record<string, string>; unsetSecret?: string[]; plan?: string; port?: number }) => {
      const body: Record<string, unknown> = { ...rolloutOptions(opts) };
      if (opts.image) body.image = opts.image;
      if (opts.plan) body.plan = opts.plan;
      if (opts.port !== undefined) body.port = opts.port;
      if (opts.env || opts.unsetEnv) body.env = { ...(opts.env ?? {}), ...Object.fromEntries((opts.unsetEnv ?? []).map((k) => [k, null])) };
      if (opts.secret || opts.unsetSecret) body.secrets = { ...(opts.secret ?? {}), ...Object.fromEntries((opts.unsetSecret ?? []).map((k) => [k, null])) };
      if (!['image', 'plan', 'port', 'env', 'secrets'].some((k) => k in body)) throw usageError('name something to change: --image, --env, --unset-env, --secret, --plan or --port');
      const res = await ctx.client().request<Change>('PATCH', instancePath(name), { body });
      await report(ctx, name, res, opts);
    }));

  program.command('rollback <instance>')
    .description('Go back to an earlier revision (default: the previous one), health-gated')
    .option('--revision <n>', 'the revision to go back to', (v) => Number(v))
    .option('--health-timeout <seconds>', 'how long it has to become healthy', seconds)
    .option('--reason <text>', 'recorded in the history')
    .option('-w, --wait', 'follow the rollout until it ends')
    .option('--timeout <seconds>', 'with --wait: how long to follow', seconds, 600)
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth rollback acme --wait\n  berth rollback acme --revision 3')
    .action(action(io, async (ctx, [name = ''], opts: RolloutFlags & { revision?: number }) => {
      if (opts.revision !== undefined && !(Number.isInteger(opts.revision) && opts.revision >= 1)) throw usageError('--revision needs a revision number ≥ 1');
      const body = { ...rolloutOptions(opts), ...(opts.revision !== undefined ? { revision: opts.revision } : {}) };
      const res = await ctx.client().post<Change>(`${instancePath(name)}/rollback`, body);
      await report(ctx, name, res, opts);
    }));

  program.command('revisions <instance>')
    .description('An instance\'s revisions: who changed what, when (secret values never shown)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth revisions acme\n  berth revisions acme --json | jq \'.items[0].changed\'')
    .action(action(io, async (ctx, [name = ''], opts: { json?: boolean }) => {
      const res = await ctx.client().get<{ items: Revision[]; current: number; previous: number | null }>(`${instancePath(name)}/revisions`);
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: '', value: (r: Revision) => (r.current ? ctx.out.colors.green('*') : '') },
        { header: 'revision', value: (r) => String(r.revision) },
        { header: 'changed', value: (r) => (r.changed.length ? r.changed.join(',') : '-') },
        { header: 'image', value: (r) => r.spec.image },
        { header: 'plan', value: (r) => r.spec.plan },
        { header: 'by', value: (r) => r.actor },
        { header: 'age', value: (r) => formatAge(r.createdAt) },
        { header: 'reason', value: (r) => r.reason ?? '' },
      ], res.items);
      ctx.out.line(`current ${res.current}${res.previous ? `, previous ${res.previous}` : ''}; go back with \`berth rollback ${name} [--revision N]\``);
    }));
}
