import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import { decodeService, readScanDirRaw, type RawService, type ScannedService } from './s6-scan-dir.js';

interface Kept {
  scanDir: string;
  /** The scan dir's mtime before the read: a service added or removed changes it. */
  dirMtime: string | null;
  /** Each status file's mtime seen before the read that produced its bytes (null: not seen yet). */
  services: Array<{ raw: RawService; mtime: string | null }>;
  readAt: number;
}

/** A full read at least this often, whatever the stats say: a `down` marker added or removed shows within it. */
const FULL_READ_MS = 300_000;
const MAX_KEPT = 5000;

/**
 * Reads a scan directory's services cheaply. An archive GET costs the engine ~100 ms (it
 * re-executes itself to build a tar); a HEAD stat of a path costs ~2 ms. So the last full
 * read is kept per container with the mtime of every `supervise/status` file (s6-supervise
 * replaces the file on every state change) and of the scan directory (services added or
 * removed); a listing stats those in parallel and reads the archive again only when one
 * changed, or the last full read is over 5 minutes old. The states are decoded at the time of the
 * listing, so uptimes are current. Drivers without statPath read in full every time.
 */
export class ScanDirReader {
  private readonly kept = new Map<string, Kept>();
  /** One read per container and directory at a time: concurrent listings share it. */
  private readonly inFlight = new Map<string, Promise<ScannedService[] | undefined>>();

  constructor(private readonly runtime: RuntimeDriver, private readonly now: () => number) {}

  read(containerId: string, scanDir: string): Promise<ScannedService[] | undefined> {
    const key = `${containerId}\0${scanDir}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const read = this.readNow(containerId, scanDir).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, read);
    return read;
  }

  /**
   * Reads in the background so the next listing finds the mtimes it compares against (a
   * first full read cannot know them: a stat taken after the archive could be of a newer write).
   */
  warm(containerId: string, scanDir: string): void {
    if (!this.runtime.statPath) return;
    queueMicrotask(() => void this.read(containerId, scanDir).catch(() => undefined));
  }

  /** A directory found by detection (its services' names known): learn their mtimes in the background. */
  seed(containerId: string, scanDir: string, names: string[]): void {
    if (!this.runtime.statPath) return;
    const placeholder = Buffer.alloc(35);
    this.kept.set(containerId, { scanDir, dirMtime: null, services: names.map((name) => ({ raw: { name, status: placeholder, down: false }, mtime: null })), readAt: 0 });
    this.warm(containerId, scanDir);
  }

  private async readNow(containerId: string, scanDir: string): Promise<ScannedService[] | undefined> {
    const stat = this.runtime.statPath?.bind(this.runtime);
    if (!stat) return (await readScanDirRaw(this.runtime, containerId, scanDir))?.map((r) => decodeService(r, this.now()));
    const kept = this.kept.get(containerId);
    const known = kept?.scanDir === scanDir ? kept.services.map((s) => s.raw.name) : [];
    // Stats first: a change after them shows up as a new mtime next time, never as stale bytes kept.
    const [dir, ...statuses] = await Promise.all([
      stat(containerId, scanDir),
      ...known.map((name) => stat(containerId, `${scanDir}/${name}/supervise/status`)),
    ]);
    if (!dir) {
      this.kept.delete(containerId);
      return undefined;
    }
    const unchanged = kept && kept.scanDir === scanDir && kept.dirMtime === dir.mtime && this.now() - kept.readAt < FULL_READ_MS
      && kept.services.every((s, i) => s.mtime !== null && statuses[i]?.mtime === s.mtime);
    if (unchanged) return kept.services.map((s) => decodeService(s.raw, this.now()));

    const raw = await readScanDirRaw(this.runtime, containerId, scanDir);
    if (!raw) {
      this.kept.delete(containerId);
      return undefined;
    }
    const seen = new Map(known.map((name, i) => [name, statuses[i]?.mtime ?? null]));
    const services = raw.map((r) => ({ raw: r, mtime: seen.get(r.name) ?? null }));
    this.kept.delete(containerId);
    this.kept.set(containerId, { scanDir, dirMtime: dir.mtime, services, readAt: this.now() });
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    // Services seen for the first time: learn their mtimes now rather than on the next listing.
    if (services.some((s) => s.mtime === null) && known.length === 0) this.warm(containerId, scanDir);
    return raw.map((r) => decodeService(r, this.now()));
  }

  /** Drops what is kept of a container (removed, or its services acted on). */
  forget(containerId: string): void {
    this.kept.delete(containerId);
  }
}
