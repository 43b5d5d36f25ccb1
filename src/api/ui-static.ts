import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import etag from '@fastify/etag';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` puts the dashboard, seen from src/api (tests) or dist/src/api (the built daemon). */
function findUiRoot(): string | undefined {
  for (const rel of ['../../dist/web/', '../../web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    // A built dashboard has assets/; the source folder (web/ next to src/) has none and is never served.
    if (existsSync(`${dir}index.html`) && existsSync(`${dir}assets`)) return dir;
  }
  return undefined;
}

/**
 * The dashboard at /ui/ (static files; hashed assets cached for a year, index.html revalidated)
 * and `/` → /ui/. ETags on every GET let the dashboard poll with If-None-Match cheaply.
 */
export async function registerUi(app: FastifyInstance): Promise<void> {
  await app.register(etag, { weak: true });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/', 302));
  const root = findUiRoot();
  if (!root) {
    app.get('/ui/*', { schema: { hide: true } }, async (_req, reply) => {
      void reply.status(503).type('text/plain').send('the dashboard is not built: run `npm run build`');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    index: ['index.html'],
    redirect: true,
    etag: true,
    lastModified: false,
    cacheControl: false,
    setHeaders(res, file) {
      // Files under assets/ carry a content hash in their name: they never change.
      void res.header('cache-control', /[\\/]assets[\\/]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
