import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { BerthError, ErrorCodes } from '../../common/errors.js';
import { restoreSqliteBackup } from '../../store/sqlite-restore.js';
import { action, type CliIo } from '../context.js';
import { CliError, exitCodeFor } from '../exit-codes.js';
import { Progress } from '../progress.js';

const MiB = 1024 * 1024;

/** `berth backup <file>` (through the daemon, while it runs) and `berth restore <file>` (local, into an empty data dir). */
export function registerBackupCommands(program: Command, io: CliIo): void {
  program.command('backup')
    .description('Write a consistent copy of the store to <file> while berth runs (SQLite; Postgres: pg_dump)')
    .argument('<file>', 'where to write the backup (mode 0600; an existing file is not overwritten)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
The daemon copies its SQLite store with SQLite's online backup API (it keeps serving) and
streams it here. The secret key that seals instance secrets is NOT in the backup: the output
names its file; keep a copy of it apart from the backup (without it, restored secrets cannot
be opened). On Postgres use pg_dump instead (README, Backups).

Examples:
  berth backup /backups/berth-$(date +%F).db
  berth backup berth.db --json`)
    .action(action(io, async (ctx, [file], opts: { json?: boolean }) => {
      const target = path.resolve(ctx.io.cwd, file!);
      if (existsSync(target)) throw new CliError(`${target} exists; choose a new file`, exitCodeFor(409, 'CONFLICT'));
      const signal = ctx.interruptSignal();
      const res = await ctx.client().stream('/v1/system/backup', {}, signal);
      const progress = new Progress(ctx.io.stderr, ctx.out.colors);
      const hash = createHash('sha256');
      let bytes = 0;
      let shown = 0;
      const measure = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          if (!opts.json && bytes - shown >= MiB) {
            shown = bytes;
            progress.update(`receiving backup: ${(bytes / MiB).toFixed(1)} MiB`);
          }
          done(null, chunk);
        },
      });
      const partial = `${target}.partial`;
      try {
        await pipeline(Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream), measure, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
        await rename(partial, target);
      } catch (error) {
        progress.stop();
        await rm(partial, { force: true });
        throw error;
      }
      progress.stop();
      const result = { file: target, bytes, sha256: hash.digest('hex'), store: res.headers.get('x-berth-store'), secretKeyFile: res.headers.get('x-berth-secret-key-file') };
      if (opts.json) return ctx.out.json(result);
      const c = ctx.out.colors;
      ctx.out.line(`${c.green('✓')} store backed up to ${target} (${bytes} bytes, sha256 ${result.sha256})`);
      ctx.out.line(c.yellow(`warning: the secret key ${result.secretKeyFile ?? '(secret.key in the data dir)'} is not in the backup; keep a copy of it apart from this file: without it the instances' secrets cannot be opened after a restore`));
    }));

  program.command('restore')
    .description('Put a `berth backup` file in place as the store of an empty data dir (berth must not be running on it)')
    .argument('<file>', 'a file written by `berth backup`')
    .option('--secret-key <file>', 'the backed-up berth\'s secret.key, copied into the data dir')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Checks the file (SQLite integrity, berth's tables), refuses a data dir that already has a store,
and writes <data dir>/berth.db (0600). Start berth on that data dir with the same runtime.scope
and its reconciler adopts the tenant containers that kept running: none are recreated.
Tokens come back with the store: the admin token is the backed-up berth's (copy its
admin.token file too, or keep using the token you have).

Examples:
  berth restore /backups/berth-2026-11-29.db --data-dir /var/lib/berth --secret-key /safe/secret.key`)
    .action(action(io, async (ctx, [file], opts: { secretKey?: string; json?: boolean }) => {
      const dataDir = ctx.dataDir();
      let result: ReturnType<typeof restoreSqliteBackup>;
      try {
        result = restoreSqliteBackup(path.resolve(ctx.io.cwd, file!), dataDir, opts.secretKey ? { secretKeyFile: path.resolve(ctx.io.cwd, opts.secretKey) } : {});
      } catch (error) {
        if (error instanceof BerthError) throw new CliError(error.message, exitCodeFor(ErrorCodes[error.code], error.code));
        throw error;
      }
      if (opts.json) return ctx.out.json(result);
      const c = ctx.out.colors;
      ctx.out.line(`${c.green('✓')} restored ${result.store}: ${result.instances} instances, ${result.jobs} jobs, ${result.tokens} tokens, ${result.snapshots} snapshot records (migration ${result.migration ?? 'none'})`);
      if (!result.secretKey) {
        ctx.out.line(c.yellow(`warning: ${path.join(dataDir, 'secret.key')} is missing: copy the backed-up berth's secret.key there before starting berth (or pass --secret-key), or its instances' secrets cannot be opened`));
      }
      ctx.out.line(c.dim(`start berth on ${dataDir} with the same runtime.scope: it adopts the running containers`));
    }));
}
