import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../common/errors.js';

/**
 * The snapshot tar files: `<dir>/<tenant>/<id>.tar`, directories 0700 and files 0600 (a
 * workspace may hold a tenant's secrets). A file is written under a `.partial` name and
 * renamed when complete, so a crash never leaves a file that looks whole.
 */
export class SnapshotFiles {
  constructor(readonly dir: string) {}

  /** Relative name of a snapshot's file; tenant and id are slugs/ids, never a caller's path. */
  static fileOf(tenant: string, id: string): string {
    if (!/^[a-z0-9-]{1,63}$/.test(tenant) || !/^[A-Za-z0-9_]{1,64}$/.test(id)) throw new BerthError('INTERNAL', `bad snapshot name ${tenant}/${id}`);
    return `${tenant}/${id}.tar`;
  }

  private full(file: string): string {
    const resolved = path.resolve(this.dir, file);
    if (!resolved.startsWith(path.resolve(this.dir) + path.sep)) throw new BerthError('INTERNAL', `snapshot file ${file} is outside the snapshot dir`);
    return resolved;
  }

  /** Streams `source` into the file; returns its size and sha256. */
  async write(file: string, source: Readable): Promise<{ sizeBytes: number; sha256: string }> {
    const target = this.full(file);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await chmod(path.dirname(target), 0o700);
    const partial = `${target}.partial`;
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { sizeBytes, sha256: hash.digest('hex') };
  }

  /** Checks the file against its recorded sha256 before anything is touched; SNAPSHOT_CORRUPT otherwise. */
  async verify(file: string, sha256: string | null, sizeBytes: number | null): Promise<void> {
    const target = this.full(file);
    let size: number;
    try {
      size = (await stat(target)).size;
    } catch {
      throw new BerthError('SNAPSHOT_CORRUPT', `the snapshot's file ${file} is missing under the snapshot dir`);
    }
    if (sizeBytes !== null && size !== sizeBytes) throw new BerthError('SNAPSHOT_CORRUPT', `the snapshot's file ${file} is ${size} bytes, recorded ${sizeBytes}`);
    const hash = createHash('sha256');
    await pipeline(createReadStream(target), hash);
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new BerthError('SNAPSHOT_CORRUPT', `the snapshot's file ${file} no longer matches its sha256 (recorded ${sha256 ?? 'none'}, now ${actual})`);
  }

  open(file: string): ReadStream {
    return createReadStream(this.full(file));
  }

  /** Removes the file (and a partial one); a missing file is not an error. */
  async remove(file: string): Promise<void> {
    const target = this.full(file);
    await rm(target, { force: true });
    await rm(`${target}.partial`, { force: true });
  }
}
