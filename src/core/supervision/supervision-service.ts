import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { EventLog } from '../events/event-log.js';
import type { Instance, Viewer } from '../instances/instance-types.js';
import { readOneService, SERVICE_NAME, type ScannedService } from './s6-scan-dir.js';
import { SupervisorLocator, type Located } from './supervisor-locator.js';
import type { InstanceLookup, ServiceAction, ServiceView, SupervisedContainer, SupervisionTarget } from './supervision-types.js';

export interface RegisteredContainer {
  name: string;
  container: string;
  scanDir: string;
  labels: Record<string, string>;
}

export interface SupervisionConfig {
  scanDirs: string[];
  logDir: string;
  actionTimeoutSeconds: number;
  containers: RegisteredContainer[];
  /** A plan's scan directory (plans.<name>.scanDir), tried after the instance's own. */
  planScanDir?: (plan: string) => string | undefined;
}

export interface SupervisionOptions {
  runtime: RuntimeDriver;
  /** 503 while the engine is away; failures are reported to it. */
  gate: { require(): void; report(error: unknown): void };
  instances: InstanceLookup;
  events: EventLog;
  clock: Clock;
  config: SupervisionConfig;
}

/** Where s6-svc may live: on PATH, or where s6-overlay keeps its commands. */
const SVC_BINARIES = ['s6-svc', '/command/s6-svc', '/package/admin/s6/command/s6-svc'];
const FLAGS: Record<ServiceAction, string[]> = { up: ['-u'], down: ['-d'], once: ['-o'], restart: ['-u', '-r'] };
const EVENT: Record<ServiceAction, string> = { up: 'service-up', down: 'service-down', once: 'service-up', restart: 'service-restarted' };

/**
 * s6 services inside containers, reached through the Engine API only: states from
 * supervise/status read through the archive endpoint, control through exec of the image's
 * own s6-svc with an argv (never a shell), names checked against the discovered services.
 */
export class SupervisionService {
  readonly locator: SupervisorLocator;
  private readonly acted = new Set<(instanceId: string, service: string, state: { up: boolean; changedAt: number }) => void>();

  constructor(private readonly o: SupervisionOptions) {
    this.locator = new SupervisorLocator(o.runtime, o.config.scanDirs, () => o.clock.now());
  }

  /** Told of every state an action left, so a watcher does not report it a second time. */
  onAction(listener: (instanceId: string, service: string, state: { up: boolean; changedAt: number }) => void): void {
    this.acted.add(listener);
  }

  get config(): SupervisionConfig {
    return this.o.config;
  }

  async forInstance(idOrName: string, viewer: Viewer): Promise<SupervisionTarget> {
    return this.instanceTarget(await this.o.instances.get(idOrName, viewer));
  }

  /** Where an instance's services are looked for first: its own scan directory, else its plan's. */
  preferredScanDir(instance: { plan?: string; scanDir?: string | null }): string | null {
    return instance.scanDir ?? (instance.plan ? this.o.config.planScanDir?.(instance.plan) : undefined) ?? null;
  }

  private instanceTarget(i: Instance): SupervisionTarget {
    return { kind: 'instance', name: i.name, instanceId: i.id, tenant: i.tenant, containerRef: i.containerId, scanDir: this.preferredScanDir(i), labels: {} };
  }

  /** A registered container by its config name (admin only), else an instance by id or name. */
  async forContainer(ref: string, viewer: Viewer): Promise<SupervisionTarget> {
    const registered = this.o.config.containers.find((c) => c.name === ref);
    if (registered && !viewer.tenant) return registeredTarget(registered);
    try {
      return await this.forInstance(ref, viewer);
    } catch (error) {
      if (error instanceof BerthError && error.code === 'INSTANCE_NOT_FOUND') throw new BerthError('CONTAINER_NOT_FOUND', `no supervised container ${ref}`);
      throw error;
    }
  }

  async listContainers(viewer: Viewer): Promise<SupervisedContainer[]> {
    const { items } = await this.o.instances.list({ limit: 1000 }, viewer);
    const targets = [
      ...items.filter((i) => i.containerId).map((i) => this.instanceTarget(i)),
      ...(viewer.tenant ? [] : this.o.config.containers.map(registeredTarget)),
    ];
    const rows = await Promise.all(targets.map((t) => this.describe(t)));
    return rows.filter((r): r is SupervisedContainer => r !== undefined);
  }

  /** An instance without s6 is not a supervised container; a registered one is listed whatever its state. */
  private async describe(target: SupervisionTarget): Promise<SupervisedContainer | undefined> {
    const base = { name: target.name, kind: target.kind, instance: target.instanceId, tenant: target.tenant };
    try {
      const at = await this.call(() => this.locator.locate(target, true));
      return { ...base, containerId: at.containerId, engineState: at.engineState, supervisor: 's6', scanDir: at.scanDir, serviceCount: at.services.length };
    } catch (error) {
      if (!(error instanceof BerthError) || error.code === 'RUNTIME_UNAVAILABLE') throw error;
      if (target.kind === 'instance') return undefined;
      const info = await this.o.runtime.inspectContainer(target.containerRef ?? '').catch(() => undefined);
      return { ...base, containerId: info?.id ?? null, engineState: info?.state ?? 'missing', supervisor: null, scanDir: target.scanDir, serviceCount: null };
    }
  }

  async list(target: SupervisionTarget): Promise<{ container: string; supervisor: 's6'; scanDir: string; items: ServiceView[] }> {
    const at = await this.call(() => this.locator.locate(target));
    return { container: target.name, supervisor: 's6', scanDir: at.scanDir, items: at.services.map((s) => view(s, target)) };
  }

  async get(target: SupervisionTarget, service: string): Promise<ServiceView> {
    const at = await this.call(() => this.locator.locate(target));
    return view(find(at, service, target), target);
  }

  /** Sends the action, then waits (bounded) until s6 reports the change; `settled` says whether it did. */
  async act(target: SupervisionTarget, service: string, action: ServiceAction, timeoutMs: number, actor: string): Promise<ServiceView & { settled: boolean }> {
    const at = await this.call(() => this.locator.locate(target));
    const before = find(at, service, target);
    const flags = action === 'restart' && before.state !== 'up' ? ['-u'] : FLAGS[action];
    await this.call(() => this.svc(at.containerId, flags, `${at.scanDir}/${service}`));
    const done = settledWhen(action, before);
    const deadline = this.o.clock.now() + Math.min(timeoutMs, this.o.config.actionTimeoutSeconds * 1000);
    let now = before;
    for (;;) {
      now = (await this.call(() => readOneService(this.o.runtime, at.containerId, at.scanDir, service, () => this.o.clock.now()))) ?? now;
      if (done(now) || this.o.clock.now() >= deadline) break;
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, 100));
    }
    const settled = done(now);
    if (target.instanceId) for (const listener of this.acted) listener(target.instanceId, service, { up: now.state === 'up', changedAt: now.changedAt });
    this.o.events.record({
      instanceId: target.instanceId, instance: target.kind === 'instance' ? target.name : null, tenant: target.tenant,
      type: EVENT[action], actor,
      message: `service ${service} ${action} on request${settled ? '' : ' (not settled yet)'}: ${now.raw}`,
      data: { service, action, container: target.name, pid: now.pid, previousPid: before.pid, settled },
    });
    return { ...view(now, target), settled };
  }

  private async svc(containerId: string, flags: string[], dir: string): Promise<void> {
    for (const bin of SVC_BINARIES) {
      const result = await this.o.runtime.exec(containerId, [bin, ...flags, dir], { timeoutMs: 10_000, outputLimitBytes: 4096 });
      if (result.exitCode === 0) return;
      const missing = result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file or directory/i.test(result.output);
      if (!missing) throw new BerthError('RUNTIME_ERROR', `s6-svc ${flags.join(' ')} failed (exit ${result.exitCode ?? 'timeout'}): ${result.output.trim().slice(0, 300)}`);
    }
    throw new BerthError('NO_SUPERVISOR', `the container has no s6-svc (tried ${SVC_BINARIES.join(', ')})`);
  }

  /** Runs an engine call behind the 503 gate, reporting failures to it. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    this.o.gate.require();
    try {
      return await fn();
    } catch (error) {
      this.o.gate.report(error);
      throw error;
    }
  }
}

function settledWhen(action: ServiceAction, before: ScannedService): (s: ScannedService) => boolean {
  switch (action) {
    case 'up': return (s) => s.state === 'up';
    case 'down': return (s) => s.state === 'down';
    case 'restart': return (s) => s.state === 'up' && (s.pid !== before.pid || s.changedAt !== before.changedAt);
    case 'once': return (s) => (before.state === 'up' ? !s.wantUp : s.state === 'up' || s.changedAt !== before.changedAt);
  }
}

export function find(at: Located, service: string, target: SupervisionTarget): ScannedService {
  const found = SERVICE_NAME.test(service) ? at.services.find((s) => s.name === service) : undefined;
  if (!found) {
    const names = at.services.map((s) => s.name);
    throw new BerthError('SERVICE_NOT_FOUND', `${target.name} has no service ${JSON.stringify(service)}; its services: ${names.join(', ')}`, {
      details: { service, services: names },
    });
  }
  return found;
}

function view(s: ScannedService, target: SupervisionTarget): ServiceView {
  return {
    name: s.name, label: target.labels[s.name] ?? s.name, state: s.state, wantUp: s.wantUp, ready: s.ready, pid: s.pid,
    uptimeSeconds: s.uptimeSeconds, exitCode: s.exitCode, signal: s.signal, normallyUp: s.normallyUp, paused: s.paused, raw: s.raw,
  };
}

function registeredTarget(c: RegisteredContainer): SupervisionTarget {
  return { kind: 'registered', name: c.name, instanceId: null, tenant: null, containerRef: c.container, scanDir: c.scanDir || null, labels: c.labels };
}
