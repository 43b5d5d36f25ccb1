import type { Command } from 'commander';
import type { Token } from '../api-types.js';
import { action, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';
import { formatAge } from '../format.js';

type TokenView = Token;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "30d", "12h", "90m", "45s", "2w" → seconds. */
export function parseExpiry(value: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(value);
  if (!m) throw usageError(`--expires takes a duration such as 30d, 12h or 90m, not ${JSON.stringify(value)}`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!.toLowerCase()]!;
  if (seconds <= 0) throw usageError('--expires must be longer than zero');
  return seconds;
}

/** `berth token create|ls|revoke`: API tokens (admin only). */
export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('Manage API tokens: create, ls, revoke')
    .addHelpText('after', '\nExamples:\n  berth token create ci\n  berth token create acme-app --tenant acme\n  berth token ls\n  berth token revoke ci');

  token.command('create <name>')
    .description('Create a token; the token itself is printed once and never again')
    .option('--tenant <tenant>', 'limit the token to one tenant')
    .option('--admin', 'an admin token (the default without --tenant)')
    .option('--expires <duration>', 'the token stops working after this long, e.g. 30d, 12h, 90m')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth token create ci\n  berth token create acme-app --tenant acme --expires 30d\n  export BERTH_TOKEN=$(berth token create deploy --json | jq -r .token)')
    .action(action(io, async (ctx, [name], opts: { tenant?: string; admin?: boolean; expires?: string; json?: boolean }) => {
      if (opts.admin && opts.tenant) throw usageError('--admin and --tenant exclude each other');
      const body = {
        name, ...(opts.tenant ? { tenant: opts.tenant, scope: 'tenant' } : { scope: 'admin' }),
        ...(opts.expires !== undefined ? { expiresInSeconds: parseExpiry(opts.expires) } : {}),
      };
      const res = await ctx.client().post<{ token: string; info: TokenView }>('/v1/tokens', body);
      if (opts.json) return ctx.out.json(res);
      ctx.out.line(res.token);
      ctx.out.note(ctx.out.errColors.dim(`token ${res.info.name} (${res.info.scope}${res.info.tenant ? `: ${res.info.tenant}` : ''}) created; it is shown only this once`));
    }));

  token.command('ls').alias('list')
    .description('List tokens (names and scopes; never the tokens themselves)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth token ls\n  berth token ls --json | jq -r \'.items[] | select(.revokedAt == null) | .name\'')
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const res = await ctx.client().get<{ items: TokenView[]; total: number }>('/v1/tokens');
      if (opts.json) return ctx.out.json(res);
      const c = ctx.out.colors;
      ctx.out.table([
        { header: 'name', value: (t: TokenView) => t.name },
        { header: 'scope', value: (t) => t.scope },
        { header: 'tenant', value: (t) => t.tenant ?? '-' },
        { header: 'created', value: (t) => formatAge(t.createdAt) },
        { header: 'last used', value: (t) => (t.lastUsedAt ? `${formatAge(t.lastUsedAt)} ago` : 'never') },
        { header: 'expires', value: (t) => (t.expiresAt ? t.expiresAt.slice(0, 16).replace('T', ' ') : 'never') },
        { header: 'state', value: (t) => (t.revokedAt ? c.red('revoked') : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? c.yellow('expired') : c.green('active')) },
        { header: 'id', value: (t) => c.dim(t.id) },
      ], res.items);
    }));

  token.command('revoke <name>')
    .description('Revoke a token by name or id; requests with it fail from then on')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth token revoke ci')
    .action(action(io, async (ctx, [name], opts: { json?: boolean }) => {
      const res = await ctx.client().delete<TokenView>(`/v1/tokens/${encodeURIComponent(name ?? '')}`);
      if (opts.json) return ctx.out.json(res);
      ctx.out.line(`${ctx.out.colors.green('✓')} token ${res.name} revoked`);
    }));
}
