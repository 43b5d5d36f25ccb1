import type { Clock } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { AppendEvent } from '../events/event-log.js';
import { SERVICE_NAME, type ScannedService } from './s6-scan-dir.js';
import type { SupervisorLocator } from './supervisor-locator.js';

/** What the monitor passes for one instance it probes. */
export interface ServiceCheckTarget {
  id: string;
  name: string;
  tenant: string;
  containerId: string;
  /** The stored health spec (JSON); its `services` lists the critical ones. */
  health: string;
  plan?: string;
  /** The instance's own scan directory, when it asked for one. */
  scanDir?: string | null;
}

interface Seen {
  up: boolean;
  changedAt: number;
  /** Unix ms of new runs seen while up (a service s6 keeps restarting is flapping). */
  runs: number[];
  /** berth already asked s6 to bring it up in this outage. */
  nudged: boolean;
}

const FLAP_WINDOW_MS = 60_000;
const FLAP_RUNS = 3;

/** The critical services of a stored health spec; none when absent or malformed. */
export function criticalServices(health: string): string[] {
  try {
    const parsed = JSON.parse(health) as { services?: unknown };
    return Array.isArray(parsed.services) ? parsed.services.filter((s): s is string => typeof s === 'string' && SERVICE_NAME.test(s)) : [];
  } catch {
    return [];
  }
}

/**
 * The monitor's view of an instance's critical s6 services. An instance is unhealthy while
 * one of them is down or flapping. berth's first remedy is the service itself: once per
 * outage it asks s6 to bring the service up; if it stays down, the failed probes reach the
 * monitor's threshold and the container is restarted. Transitions berth sees are events.
 */
export class ServiceHealth {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly runtime: RuntimeDriver,
    private readonly locator: SupervisorLocator,
    private readonly events: { record(...events: AppendEvent[]): void },
    private readonly clock: Clock,
    /** The scan directory to try first for an instance (its own, else its plan's). */
    private readonly preferredScanDir: (instance: { plan?: string; scanDir?: string | null }) => string | null = (i) => i.scanDir ?? null,
  ) {}

  /** null when every critical service is up and steady; otherwise why the instance is unhealthy. */
  async check(target: ServiceCheckTarget): Promise<string | null> {
    const critical = criticalServices(target.health);
    if (critical.length === 0) return null;
    let located;
    try {
      located = await this.locator.locate({
        kind: 'instance', name: target.name, instanceId: target.id, tenant: target.tenant, containerRef: target.containerId, scanDir: this.preferredScanDir(target), labels: {},
      });
    } catch (error) {
      if (error instanceof BerthError && error.code === 'NO_SUPERVISOR') return `critical services ${critical.join(', ')}: no s6 supervisor found`;
      throw error;
    }
    const now = this.clock.now();
    const problems: string[] = [];
    for (const name of critical) {
      const s = located.services.find((x) => x.name === name);
      if (!s) {
        problems.push(`critical service ${name} does not exist`);
        continue;
      }
      const problem = await this.observe(target, located.containerId, located.scanDir, s, now);
      if (problem) problems.push(problem);
    }
    return problems.length ? problems.join('; ') : null;
  }

  private async observe(target: ServiceCheckTarget, containerId: string, scanDir: string, s: ScannedService, now: number): Promise<string | null> {
    const key = `${target.id}/${s.name}`;
    const base = { instanceId: target.id, instance: target.name, tenant: target.tenant, actor: 'berth' };
    const prev = this.seen.get(key);
    const up = s.state === 'up';
    const seen: Seen = prev ?? { up, changedAt: s.changedAt, runs: [], nudged: false };
    if (prev && up && (!prev.up || prev.changedAt !== s.changedAt)) seen.runs.push(now);
    seen.runs = seen.runs.filter((t) => now - t < FLAP_WINDOW_MS);
    if (prev && prev.up && !up) {
      this.events.record({ ...base, type: 'service-down', message: `critical service ${s.name} is down: ${s.raw}`, data: { service: s.name, exitCode: s.exitCode, signal: s.signal } });
    } else if (prev && !prev.up && up) {
      this.events.record({ ...base, type: 'service-up', message: `critical service ${s.name} is up again: ${s.raw}`, data: { service: s.name, pid: s.pid } });
    }
    seen.up = up;
    seen.changedAt = s.changedAt;
    if (up) seen.nudged = false;
    this.seen.set(key, seen);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);

    if (!up) {
      if (!seen.nudged) {
        seen.nudged = true;
        const outcome = await this.bringUp(containerId, `${scanDir}/${s.name}`);
        this.events.record({
          ...base, type: 'service-restarted', message: `critical service ${s.name} was ${s.state}; berth asked s6 to bring it up${outcome ? ` (${outcome})` : ''}`,
          data: { service: s.name, exitCode: s.exitCode, signal: s.signal },
        });
      }
      return `critical service ${s.name} is ${s.state} (${s.raw})`;
    }
    if (seen.runs.length >= FLAP_RUNS) return `critical service ${s.name} is flapping (${seen.runs.length} starts in ${FLAP_WINDOW_MS / 1000}s)`;
    return null;
  }

  /** s6-svc -u by argv; returns a note when it could not be sent. */
  private async bringUp(containerId: string, dir: string): Promise<string | null> {
    for (const bin of ['s6-svc', '/command/s6-svc']) {
      try {
        const r = await this.runtime.exec(containerId, [bin, '-u', dir], { timeoutMs: 10_000, outputLimitBytes: 2048 });
        if (r.exitCode === 0) return null;
        if (r.exitCode !== 126 && r.exitCode !== 127) return `s6-svc exited ${r.exitCode ?? 'on timeout'}`;
      } catch (error) {
        return describeError(error);
      }
    }
    return 'no s6-svc in the container';
  }

  /** Forget an instance (deleted or no longer monitored). */
  forget(instanceId: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(`${instanceId}/`)) this.seen.delete(key);
  }
}
