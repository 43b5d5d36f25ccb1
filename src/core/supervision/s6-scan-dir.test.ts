import { describe, expect, it } from 'vitest';
import type { PathEntry, ReadPathOptions, RuntimeDriver } from '../../runtime/runtime-driver.js';
import { readScanDir } from './s6-scan-dir.js';

const UP = Buffer.from('400000006b0c8e6f2aeeb6d3400000006b0c8e6f2aa0c52d0000000000000011000004', 'hex');
const DOWN = Buffer.from('400000006b0c8e93224b61c0400000006b0c8e93256f83950000000000000000000f08', 'hex');
const NOW = 1795985020_000;

/** A runtime whose readPath serves a fixed file tree (absolute path → entries as the archive endpoint gives them). */
function fakeRuntime(tree: Record<string, PathEntry[]>): RuntimeDriver {
  return {
    readPath: async (_id: string, path: string, options: ReadPathOptions) => {
      const entries = tree[path];
      return entries?.map((e) => ({ ...e, data: e.data && (options.keep?.(e.path) ?? false) ? e.data : null }));
    },
  } as unknown as RuntimeDriver;
}
const dir = (path: string): PathEntry => ({ path, type: 'directory', size: 0, linkTarget: null, data: null });
const file = (path: string, data: Buffer = Buffer.alloc(0)): PathEntry => ({ path, type: 'file', size: data.length, linkTarget: null, data });

describe('readScanDir', () => {
  it('reads every service of a scan directory in one read, with down markers and hidden entries skipped', async () => {
    const runtime = fakeRuntime({
      '/run/service': [
        dir(''), dir('.s6-svscan'), dir('web'), dir('web/supervise'), file('web/supervise/status', UP),
        dir('worker'), file('worker/down'), dir('worker/supervise'), file('worker/supervise/status', DOWN),
        dir('fresh'), file('fresh/run'),
      ],
    });
    const services = await readScanDir(runtime, 'c1', '/run/service', () => NOW);
    expect(services?.map((s) => [s.name, s.state, s.normallyUp])).toEqual([['web', 'up', true], ['worker', 'down', false]]);
  });

  it('follows s6-overlay symlinks with a read per service', async () => {
    const runtime = fakeRuntime({
      '/run/service': [dir(''), { path: 'gateway', type: 'symlink', size: 0, linkTarget: '/run/s6-rc/servicedirs/gateway', data: null }],
      '/run/service/gateway/supervise/status': [file('', UP)],
    });
    const services = await readScanDir(runtime, 'c1', '/run/service', () => NOW);
    expect(services).toHaveLength(1);
    expect(services?.[0]).toMatchObject({ name: 'gateway', state: 'up', pid: 17, normallyUp: true });
  });

  it('is undefined for a directory that does not exist', async () => {
    expect(await readScanDir(fakeRuntime({}), 'c1', '/run/service', () => NOW)).toBeUndefined();
  });
});
