import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';

interface LoginCode {
  code: string;
  expiresAt: string;
  path: string;
}

/** `berth ui`: a one-time dashboard login link, so nobody copies the token by hand. */
export function registerUiCommand(program: Command, io: CliIo): void {
  program.command('ui')
    .description('Print a one-time login link for the web dashboard (valid for a minute, usable once)')
    .option('--json', 'print the link, code and expiry as JSON')
    .addHelpText('after', `
The link signs the browser in with the token this CLI uses (admin or tenant). The code rides in
the URL fragment, which browsers never send to a server, and is exchanged once for the session;
the token itself never appears in a URL. The session lives in the tab (sessionStorage).

Examples:
  berth ui
  BERTH_TOKEN=$(cat tenant.token) berth ui`)
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const client = ctx.client();
      const code = await client.post<LoginCode>('/v1/session/login-codes', {});
      const url = `${client.url.replace(/\/$/, '')}${code.path}`;
      if (opts.json) return ctx.out.json({ url, expiresAt: code.expiresAt });
      ctx.out.line(url);
      ctx.out.line(ctx.out.colors.dim(`open it within a minute (until ${code.expiresAt}); it works once`));
    }));
}
