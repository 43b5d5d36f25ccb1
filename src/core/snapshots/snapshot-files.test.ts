import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { SnapshotFiles } from './snapshot-files.js';

const dirs: string[] = [];
const fresh = (): SnapshotFiles => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-snapfiles-'));
  dirs.push(dir);
  return new SnapshotFiles(path.join(dir, 'snapshots'));
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    return isBerthError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('SnapshotFiles', () => {
  it('writes 0600 files in 0700 dirs with size and sha256, and verifies them', async () => {
    const files = fresh();
    const data = Buffer.from('a'.repeat(100_000));
    const file = SnapshotFiles.fileOf('acme', 'snp_1');
    const out = await files.write(file, Readable.from([data.subarray(0, 5), data.subarray(5)]));
    expect(out).toEqual({ sizeBytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    const full = path.join(files.dir, file);
    expect(statSync(full).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(full)).mode & 0o777).toBe(0o700);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    await files.verify(file, out.sha256, out.sizeBytes);
  });

  it('a failed copy leaves no file; a changed or missing file is SNAPSHOT_CORRUPT', async () => {
    const files = fresh();
    const file = SnapshotFiles.fileOf('acme', 'snp_2');
    const broken = new Readable({ read() { this.destroy(new Error('engine went away')); } });
    expect(await codeOf(files.write(file, broken))).toContain('engine went away');
    expect(readdirSync(path.join(files.dir, 'acme'))).toEqual([]);
    const out = await files.write(file, Readable.from([Buffer.from('hello')]));
    appendFileSync(path.join(files.dir, file), 'x');
    expect(await codeOf(files.verify(file, out.sha256, null))).toBe('SNAPSHOT_CORRUPT');
    expect(await codeOf(files.verify(file, out.sha256, out.sizeBytes))).toBe('SNAPSHOT_CORRUPT');
    await files.remove(file);
    expect(existsSync(path.join(files.dir, file))).toBe(false);
    expect(await codeOf(files.verify(file, out.sha256, out.sizeBytes))).toBe('SNAPSHOT_CORRUPT');
  });

  it('names come from tenant slugs and ids only', () => {
    expect(() => SnapshotFiles.fileOf('../etc', 'snp_1')).toThrow();
    expect(() => SnapshotFiles.fileOf('acme', '../../x')).toThrow();
  });
});
