import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { Service } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import type { BerthConfig } from '../../config/schema.js';
import { LABELS } from '../../runtime/labels.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { SnapshotsRepo } from '../../store/repositories/snapshots-repo.js';
import type { EventLog } from '../events/event-log.js';
import type { Instances } from '../instances/create-instances.js';
import { SnapshotFiles } from './snapshot-files.js';
import { HOLDER_KIND, SnapshotRestore, type WorkspaceSeeder } from './snapshot-restore.js';
import { SnapshotService } from './snapshot-service.js';

export interface SnapshotsDeps {
  config: BerthConfig;
  repo: SnapshotsRepo;
  instances: Instances;
  runtime: RuntimeDriver;
  gate: { require(): void; report(error: unknown): void; readonly state?: string };
  events: EventLog;
  clock: Clock;
  logger: Logger;
}

export interface Snapshots {
  service: SnapshotService;
  restore: SnapshotRestore;
  /** Boot: thaws agents and removes holders a killed berth left, marks half-taken snapshots failed. */
  recovery: Service;
}

/** The snapshot dir: snapshots.dir, else <dataDir>/snapshots. */
export function snapshotDir(config: Pick<BerthConfig, 'dataDir' | 'snapshots'>): string {
  return path.resolve(config.snapshots.dir || path.join(config.dataDir, 'snapshots'));
}

/**
 * The seeder InstanceService takes at construction, before the snapshot parts exist (they
 * need the provisioner it builds): calls go to whatever `bind` set.
 */
export function seederSlot(): WorkspaceSeeder & { bind(target: WorkspaceSeeder): void } {
  let target: WorkspaceSeeder | undefined;
  const get = (): WorkspaceSeeder => {
    if (!target) throw new Error('snapshots are not wired yet');
    return target;
  };
  return {
    bind: (t) => { target = t; },
    check: (...a) => get().check(...a),
    seed: (...a) => get().seed(...a),
  };
}

export function createSnapshots(d: SnapshotsDeps): Snapshots {
  const { config, instances } = d;
  const scope = config.runtime.scope;
  const service = new SnapshotService({
    repo: d.repo, instances: instances.repo, find: (idOrName, viewer) => instances.service.find(idOrName, viewer),
    provisioner: instances.provisioner, runtime: d.runtime, gate: d.gate, lock: instances.locks, events: d.events,
    files: new SnapshotFiles(snapshotDir(config)), plans: instances.plans, clock: d.clock, logger: d.logger,
    maxPerInstance: config.snapshots.maxPerInstance, maxPauseMs: config.snapshots.maxPauseSeconds * 1000,
    cancelWatch: (id) => instances.watcher.cancel(id),
  });
  const restore = new SnapshotRestore(service, scope, config.runtime.bindAddress);
  const recovery: Service = {
    name: 'snapshot-recovery',
    start: async () => {
      await service.recover();
      if (d.gate.state !== undefined && d.gate.state !== 'up') return;
      // Holders outlive only a berth killed mid-restore; nothing else uses them.
      const holders = await d.runtime.listContainers({ all: true, labels: { [LABELS.scope]: scope, [LABELS.kind]: HOLDER_KIND } }).catch(() => []);
      for (const h of holders) await d.runtime.removeContainer(h.id).catch(() => undefined);
    },
    stop: async () => service.stopRecovery(),
  };
  return { service, restore, recovery };
}
