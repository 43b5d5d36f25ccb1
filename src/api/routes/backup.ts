import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Store } from '../../store/store.js';
import { requireAdmin } from '../auth.js';
import type { App } from '../app.js';
import { errorResponses, Security } from '../schemas.js';

export interface BackupDeps {
  store: Pick<Store, 'dialect' | 'backup'>;
  dataDir: string;
  /** The secret key file: the sealed secrets in the store are useless without it. */
  secretKeyFile: string;
}

/**
 * GET /v1/system/backup (admin): a consistent copy of the SQLite store, made with SQLite's
 * online backup API into a temporary file in the data dir and streamed; the daemon keeps
 * serving meanwhile. On Postgres: 409 saying to use pg_dump.
 */
export function backupRoutes(deps: BackupDeps) {
  return (app: App): void => {
    app.get('/v1/system/backup', {
      schema: {
        summary: 'Download a consistent copy of the store (SQLite; admin only)',
        description: 'The body is a SQLite database file (restore it with `berth restore <file>` into an empty data dir). '
          + 'The secret key is not in it: the header x-berth-secret-key-file names where it is; keep a copy of it apart from the backup. '
          + 'On Postgres the answer is 409: back the database up with pg_dump (README, Backups).',
        tags: ['system'], security: Security, produces: ['application/vnd.sqlite3'],
        response: { 200: Type.String({ format: 'binary' }), ...errorResponses(403, 409) },
      },
    }, async (request, reply) => {
      requireAdmin(request);
      if (!deps.store.backup) {
        throw new BerthError('INVALID_STATE', `the store is ${deps.store.dialect}: back it up with pg_dump (e.g. pg_dump -Fc -f berth.dump "$DATABASE_URL") and restore with pg_restore; see the README, Backups`);
      }
      const file = path.join(deps.dataDir, `backup-${newId('', Date.now())}.db.partial`);
      try {
        await deps.store.backup(file);
      } catch (error) {
        await rm(file, { force: true });
        throw error;
      }
      const stream = createReadStream(file);
      // Removed once sent, or when the client goes away.
      const cleanup = (): void => void rm(file, { force: true });
      stream.once('close', cleanup);
      reply.raw.once('close', () => stream.destroy());
      return reply
        .header('content-type', 'application/vnd.sqlite3')
        .header('content-disposition', 'attachment; filename="berth-backup.db"')
        .header('x-berth-store', deps.store.dialect)
        .header('x-berth-secret-key-file', deps.secretKeyFile)
        .send(stream as unknown as string);
    });
  };
}
