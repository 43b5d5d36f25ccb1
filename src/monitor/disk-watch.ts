import type { Alert } from '../alerts/alert-dispatcher.js';
import type { Logger } from '../common/logger.js';
import type { AppendEvent } from '../core/events/event-log.js';
import type { PlanCatalog } from '../core/plans/resolve-plans.js';

export interface WatchedInstance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  containerId: string | null;
  status: string;
}

export interface DiskWatchDeps {
  instances: () => Promise<WatchedInstance[]>;
  plans: PlanCatalog;
  /** Disk use by container id (one engine call for all). */
  measure: () => Promise<Map<string, { writableLayerBytes: number | null; workspaceBytes: number | null }>>;
  record: (event: AppendEvent) => Promise<void>;
  notify: (alert: Alert) => void;
  now: () => string;
  logger: Logger;
  intervalMs: number;
}

/**
 * Plan `disk` where the engine cannot enforce it (and as a warning where it can): measures the
 * workspace and writable layer of every instance whose plan sets `disk`, and records an event
 * and sends an alert when one passes it. Once per crossing: it re-arms below 90 % of the plan.
 */
export class DiskWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly over = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(private readonly d: DiskWatchDeps) {}

  start(): void {
    if (![...this.d.plans.values()].some((p) => p.diskBytes)) return; // no plan sets disk: nothing to watch
    this.timer = setInterval(() => void this.check(), this.d.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  check(): Promise<void> {
    this.running ??= this.pass().catch((error: unknown) => {
      this.d.logger.warn({ reason: (error as Error).message }, 'disk check failed; trying again next interval');
    }).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(): Promise<void> {
    const watched = (await this.d.instances()).filter((i) => i.containerId && this.d.plans.get(i.plan)?.diskBytes);
    if (!watched.length) return;
    const usage = await this.d.measure();
    for (const i of watched) {
      const limit = this.d.plans.get(i.plan)?.diskBytes ?? 0;
      const u = usage.get(i.containerId ?? '');
      if (!u) continue;
      const used = (u.workspaceBytes ?? 0) + (u.writableLayerBytes ?? 0);
      if (used > limit && !this.over.has(i.id)) {
        this.over.add(i.id);
        const message = `disk use ${used} bytes (workspace ${u.workspaceBytes ?? '?'}, writable layer ${u.writableLayerBytes ?? '?'}) passed the plan's ${limit} bytes`;
        await this.d.record({ instanceId: i.id, instance: i.name, tenant: i.tenant, type: 'disk-exceeded', message, actor: 'berth', data: { usedBytes: used, limitBytes: limit, ...u } });
        this.d.notify({ event: 'disk-exceeded', at: this.d.now(), instance: { id: i.id, name: i.name, tenant: i.tenant, plan: i.plan }, status: i.status, message });
      } else if (used < limit * 0.9) {
        this.over.delete(i.id);
      }
    }
  }
}
