import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { extract, type Header } from 'tar-stream';
import type { PathEntry, ReadPathOptions } from '../runtime-driver.js';
import { engineError } from './docker-connection.js';

function entryType(type: Header['type']): PathEntry['type'] {
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory') return 'directory';
  if (type === 'symlink') return 'symlink';
  return 'other';
}

/** The archive's names start with the read path's basename; berth's entries are relative to it. */
function relative(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  return slash < 0 ? '' : trimmed.slice(slash + 1);
}

/**
 * GET /containers/{id}/archive streams a tar of the path; it is parsed as it arrives
 * (tar-stream) and only the contents `keep` asks for are buffered, so a large log tree costs
 * no memory. A missing path is undefined; a missing container is CONTAINER_NOT_FOUND.
 */
export async function readArchive(docker: Docker, host: string, id: string, path: string, options: ReadPathOptions): Promise<PathEntry[] | undefined> {
  let stream: Readable;
  try {
    stream = (await docker.getContainer(id).getArchive({ path })) as unknown as Readable;
  } catch (error) {
    const e = error as { statusCode?: number; json?: { message?: string } | null; message?: string };
    const detail = e.json?.message ?? e.message ?? '';
    // dockerode words every 404 as "no such container"; the engine's own text tells a missing path apart.
    if (e.statusCode === 404 && /could not find the file|no such file/i.test(detail)) return undefined;
    throw engineError(error, host, 'container');
  }
  const entries: PathEntry[] = [];
  const max = options.maxEntries ?? 10_000;
  const parser = extract();
  const done = new Promise<void>((resolve, reject) => {
    parser.on('entry', (header, body, next) => {
      if (entries.length >= max) {
        // Enough: stop the engine's tar instead of draining a tree someone pointed us at.
        stream.destroy();
        resolve();
        return;
      }
      const path = relative(header.name);
      const type = entryType(header.type);
      const keep = type === 'file' && entries.length < max && (options.keep?.(path) ?? false);
      const chunks: Buffer[] = [];
      let kept = 0;
      body.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (!keep) return;
        chunks.push(chunk);
        kept += chunk.length;
        // Keep only the tail: enough for a status file or the end of a log.
        while (kept - (chunks[0]?.length ?? 0) >= options.maxFileBytes && chunks.length > 1) kept -= chunks.shift()!.length;
      });
      body.on('end', () => {
        if (entries.length < max) {
          let data: Buffer | null = null;
          if (keep) {
            const all = Buffer.concat(chunks);
            data = all.length > options.maxFileBytes ? all.subarray(all.length - options.maxFileBytes) : all;
          }
          entries.push({ path, type, size: header.size ?? 0, linkTarget: header.linkname ?? null, data });
        }
        next();
      });
      body.resume();
    });
    parser.on('finish', resolve);
    parser.on('error', reject);
    stream.on('error', reject);
  });
  stream.pipe(parser);
  try {
    await done;
  } catch (error) {
    throw engineError(error, host, 'container');
  } finally {
    stream.destroy();
  }
  return entries;
}
