import type { PathEntry, RuntimeDriver } from '../../runtime/runtime-driver.js';
import { decodeS6Status, isS6StatusSize, type S6Status } from './s6-status.js';

export interface ScannedService extends S6Status {
  name: string;
}

/** A service name as s6-svscan accepts it; anything else in a request is rejected early. */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

const STATUS_MAX = 64;

/** A service's undecoded state: its status file's bytes and whether it has a `down` marker. */
export interface RawService {
  name: string;
  status: Buffer;
  down: boolean;
}

export function decodeService(raw: RawService, nowMs: number): ScannedService {
  return { name: raw.name, ...decodeS6Status(raw.status, nowMs, !raw.down) };
}

function rawOf(name: string, status: PathEntry | undefined, down: boolean): RawService | undefined {
  if (!status?.data || !isS6StatusSize(status.data.length)) return undefined;
  return { name, status: status.data, down };
}

/**
 * Reads every supervised service of an s6 scan directory with one archive read of the
 * directory (its `supervise/status` files and `down` markers), plus one small read per
 * service that is a symlink (s6-overlay links /run/service/x to its servicedirs). undefined
 * when the directory does not exist. Services s6-supervise has not started yet are left out.
 */
export async function readScanDir(runtime: RuntimeDriver, containerId: string, scanDir: string, now: () => number): Promise<ScannedService[] | undefined> {
  const raw = await readScanDirRaw(runtime, containerId, scanDir);
  return raw?.map((r) => decodeService(r, now()));
}

/** readScanDir, undecoded (for callers that keep the bytes and decode them later). */
export async function readScanDirRaw(runtime: RuntimeDriver, containerId: string, scanDir: string): Promise<RawService[] | undefined> {
  if (!runtime.readPath) return undefined;
  const entries = await runtime.readPath(containerId, scanDir, {
    keep: (p) => /^[^/]+\/supervise\/status$/.test(p),
    maxFileBytes: STATUS_MAX,
    maxEntries: 5000,
  });
  if (!entries) return undefined;
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const names = entries.filter((e) => e.path && !e.path.includes('/') && !e.path.startsWith('.') && SERVICE_NAME.test(e.path)
    && (e.type === 'directory' || e.type === 'symlink'));
  const found = await Promise.all(names.map(async (entry): Promise<RawService | undefined> => {
    const name = entry.path;
    if (entry.type === 'directory') return rawOf(name, byPath.get(`${name}/supervise/status`), byPath.has(`${name}/down`));
    return readOneRaw(runtime, containerId, scanDir, name);
  }));
  return found.filter((s): s is RawService => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

/** One service's state: two tiny reads (its status file and its `down` marker). */
export async function readOneService(runtime: RuntimeDriver, containerId: string, scanDir: string, name: string, now: () => number): Promise<ScannedService | undefined> {
  const raw = await readOneRaw(runtime, containerId, scanDir, name);
  return raw && decodeService(raw, now());
}

async function readOneRaw(runtime: RuntimeDriver, containerId: string, scanDir: string, name: string): Promise<RawService | undefined> {
  if (!runtime.readPath) return undefined;
  const dir = `${scanDir}/${name}`;
  const [status, down] = await Promise.all([
    runtime.readPath(containerId, `${dir}/supervise/status`, { keep: () => true, maxFileBytes: STATUS_MAX }),
    runtime.readPath(containerId, `${dir}/down`, { maxFileBytes: 0 }),
  ]);
  return rawOf(name, status?.find((e) => e.path === ''), down !== undefined);
}
