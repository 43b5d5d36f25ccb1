import type { EventLog } from '../../core/events/event-log.js';
import type { InstanceService } from '../../core/instances/instance-service.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { StreamSlots } from '../stream-slots.js';

/** What the instance routes (instances.ts, instance-logs.ts) need; its own file so neither imports the other for it. */
export interface InstanceRouteDeps {
  instances: InstanceService;
  events: EventLog;
  runtime: RuntimeDriver;
  /** The runtime status: create answers 503 while the engine is away. */
  status: { require(): void; report(error: unknown): void };
  /** Caps on followed log streams (per token, in total, duration). */
  streams?: StreamSlots;
  /** An instance's secret values, masked in the logs served. */
  secretsOf?: (instanceId: string) => Promise<string[]>;
}
