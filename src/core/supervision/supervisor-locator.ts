import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import { readScanDir, type ScannedService } from './s6-scan-dir.js';
import { ScanDirReader } from './scan-dir-reader.js';
import type { SupervisionTarget } from './supervision-types.js';

export interface Located {
  containerId: string;
  engineState: string;
  scanDir: string;
  services: ScannedService[];
}

interface Detection {
  startedAt: string | null;
  scanDir: string | null;
  /** The last full read, for summaries that may be a few seconds old (GET /v1/containers). */
  last?: { at: number; services: ScannedService[] };
}

/** How old a cached read may be for a summary (service counts). */
const SUMMARY_MAX_AGE_MS = 10_000;

/**
 * Finds a target's container and its s6 scan directory. Detection (which directory holds
 * supervised services) is cached per container start: a restarted container is looked at
 * again, a running one costs a single archive read per listing.
 */
export class SupervisorLocator {
  private readonly cache = new Map<string, Detection>();
  private readonly reader: ScanDirReader;

  constructor(private readonly runtime: RuntimeDriver, private readonly scanDirs: readonly string[], private readonly now: () => number) {
    this.reader = new ScanDirReader(runtime, now);
  }

  /** `summary`: a read up to a few seconds old will do (counts, not states). */
  async locate(target: SupervisionTarget, summary = false): Promise<Located> {
    const info = target.containerRef ? await this.runtime.inspectContainer(target.containerRef) : undefined;
    if (!info) {
      throw new BerthError('CONTAINER_NOT_FOUND', `${target.kind === 'instance' ? 'instance' : 'container'} ${target.name} has no container on the engine`);
    }
    if (info.state !== 'running') {
      throw new BerthError('INVALID_STATE', `the container of ${target.name} is ${info.state}; its services can be read while it runs`);
    }
    const cached = this.cache.get(info.id);
    if (cached && cached.startedAt === info.startedAt) {
      if (!cached.scanDir) throw noSupervisor(target);
      if (summary && cached.last && this.now() - cached.last.at < SUMMARY_MAX_AGE_MS) {
        return { containerId: info.id, engineState: info.state, scanDir: cached.scanDir, services: cached.last.services };
      }
      const services = await this.reader.read(info.id, cached.scanDir);
      if (services && services.length > 0) {
        cached.last = { at: this.now(), services };
        return { containerId: info.id, engineState: info.state, scanDir: cached.scanDir, services };
      }
    }
    const found = await this.detect(info.id, target.scanDir);
    this.cache.set(info.id, { startedAt: info.startedAt, scanDir: found?.scanDir ?? null, ...(found ? { last: { at: this.now(), services: found.services } } : {}) });
    if (this.cache.size > 5000) this.cache.delete(this.cache.keys().next().value!);
    if (!found) throw noSupervisor(target);
    this.reader.seed(info.id, found.scanDir, found.services.map((s) => s.name));
    return { containerId: info.id, engineState: info.state, ...found };
  }

  /** Tries every candidate at once; the first in order that holds supervised services wins. */
  private async detect(containerId: string, configured: string | null): Promise<{ scanDir: string; services: ScannedService[] } | undefined> {
    if (!this.runtime.readPath) return undefined;
    let candidates = [...new Set([...(configured ? [configured] : []), ...this.scanDirs])];
    // A stat is ~2 ms where an archive read is ~100 ms: only directories that exist are read
    // (a container without s6 then costs a few stats, which matters for the service watch).
    const stat = this.runtime.statPath?.bind(this.runtime);
    if (stat) {
      const stats = await Promise.all(candidates.map((dir) => stat(containerId, dir).catch(() => undefined)));
      candidates = candidates.filter((_, i) => stats[i]?.directory);
    }
    const results = await Promise.all(candidates.map((dir) => readScanDir(this.runtime, containerId, dir, this.now)));
    for (const [i, services] of results.entries()) {
      if (services && services.length > 0) return { scanDir: candidates[i]!, services };
    }
    return undefined;
  }
}

function noSupervisor(target: SupervisionTarget): BerthError {
  return new BerthError('NO_SUPERVISOR', `${target.name} runs no s6 supervisor berth can find (looked for supervised services in its scan directories)`, {
    details: { container: target.name },
  });
}
