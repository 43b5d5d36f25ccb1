import { describe, expect, it } from 'vitest';
import type { PathEntry, PathStat, ReadPathOptions, RuntimeDriver } from '../../runtime/runtime-driver.js';
import { ScanDirReader } from './scan-dir-reader.js';

/** A 35-byte s6 status: up with `pid` since `sinceSec` (Unix seconds), want up. */
function status(pid: number, sinceSec: number): Buffer {
  const b = Buffer.alloc(35);
  const tai = 2n ** 62n + 37n + BigInt(sinceSec);
  b.writeBigUInt64BE(tai, 0);
  b.writeBigUInt64BE(tai, 12);
  b.writeBigUInt64BE(BigInt(pid), 24);
  b[34] = 4;
  return b;
}

/** A container's scan dir as files with mtimes; counts the engine calls the reader makes. */
function fakeRuntime(files: Map<string, { data: Buffer; mtime: string }>, dirMtime: { value: string }) {
  const calls = { read: 0, stat: 0 };
  const runtime = {
    async readPath(_id: string, path: string, options: ReadPathOptions): Promise<PathEntry[] | undefined> {
      calls.read++;
      if (path !== '/run/service') return undefined;
      const entries: PathEntry[] = [{ path: '', type: 'directory', size: 0, linkTarget: null, data: null }];
      for (const [name, f] of files) {
        entries.push({ path: name, type: 'directory', size: 0, linkTarget: null, data: null });
        const rel = `${name}/supervise/status`;
        entries.push({ path: rel, type: 'file', size: 35, linkTarget: null, data: options.keep?.(rel) ? f.data : null });
      }
      return entries;
    },
    async statPath(_id: string, path: string): Promise<PathStat | undefined> {
      calls.stat++;
      if (path === '/run/service') return { size: 4096, mtime: dirMtime.value, directory: true };
      const name = /^\/run\/service\/([^/]+)\/supervise\/status$/.exec(path)?.[1];
      const f = name ? files.get(name) : undefined;
      return f ? { size: 35, mtime: f.mtime, directory: false } : undefined;
    },
  } as unknown as RuntimeDriver;
  return { runtime, calls };
}

describe('ScanDirReader', () => {
  it('reads the archive again only when a status file or the directory changed, and decodes at read time', async () => {
    let now = 1_000_000_000_000;
    const files = new Map([['web', { data: status(10, 999_999_990), mtime: 'a1' }], ['worker', { data: status(11, 999_999_990), mtime: 'b1' }]]);
    const dir = { value: 'd1' };
    const { runtime, calls } = fakeRuntime(files, dir);
    const reader = new ScanDirReader(runtime, () => now);

    const first = await reader.read('c1', '/run/service');
    expect(first?.map((s) => [s.name, s.pid, s.uptimeSeconds])).toEqual([['web', 10, 10], ['worker', 11, 10]]);
    expect(calls.read).toBe(1);
    // The second read learns the files' mtimes (seen before its archive read), the third is stats only.
    await reader.read('c1', '/run/service');
    expect(calls.read).toBe(2);
    now += 5000;
    const third = await reader.read('c1', '/run/service');
    expect(calls.read).toBe(2);
    expect(third?.map((s) => s.uptimeSeconds)).toEqual([15, 15]);

    // A service changes state: its status file is replaced (new mtime): a full read again.
    files.set('worker', { data: status(12, 1_000_000_004), mtime: 'b2' });
    const changed = await reader.read('c1', '/run/service');
    expect(calls.read).toBe(3);
    expect(changed?.find((s) => s.name === 'worker')?.pid).toBe(12);
    await reader.read('c1', '/run/service');
    expect(calls.read).toBe(3);

    // A service added: the directory's mtime moves.
    files.set('ticker', { data: status(13, 1_000_000_004), mtime: 'c1' });
    dir.value = 'd2';
    expect((await reader.read('c1', '/run/service'))?.map((s) => s.name)).toEqual(['ticker', 'web', 'worker']);
    expect(calls.read).toBe(4);

    // However quiet, a full read at least every 5 minutes (down markers do not touch status files).
    await reader.read('c1', '/run/service');
    const reads = calls.read;
    await reader.read('c1', '/run/service');
    expect(calls.read).toBe(reads);
    now += 301_000;
    await reader.read('c1', '/run/service');
    expect(calls.read).toBe(reads + 1);
  });

  it('without statPath, every read is a full read', async () => {
    const files = new Map([['web', { data: status(10, 1), mtime: 'a' }]]);
    const { runtime, calls } = fakeRuntime(files, { value: 'd' });
    delete (runtime as { statPath?: unknown }).statPath;
    const reader = new ScanDirReader(runtime, () => 2000);
    await reader.read('c1', '/run/service');
    await reader.read('c1', '/run/service');
    await reader.read('c1', '/run/service');
    expect(calls.read).toBe(3);
    expect(calls.stat).toBe(0);
  });
});
