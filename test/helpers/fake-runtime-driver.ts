import { BerthError } from '../../src/common/errors.js';
import { ENGINE_MUTATIONS } from '../../src/runtime/limited-runtime.js';
import type {
  ContainerInfo, ContainerSpec, ContainerStats, StatsOptions, ExecResult, LogLine, NetworkInfo, NetworkSpec, RuntimeDriver, RuntimeEvent,
  RuntimeEventType, RuntimeInfo, VolumeInfo,
} from '../../src/runtime/runtime-driver.js';

type Operation = keyof Omit<RuntimeDriver, 'name'>;

interface FakeContainer {
  info: ContainerInfo;
  spec: ContainerSpec;
}

/**
 * The runtime port in memory, for unit tests of the core without Docker: containers with ids,
 * names, labels and states; networks and volumes; a label-filtered event stream; failures
 * injected per operation; and a count of engine-mutating calls in flight (and its peak).
 */
export class FakeRuntimeDriver implements RuntimeDriver {
  readonly name = 'docker' as const;
  readonly images = new Set<string>(['berth/test-agent:local']);
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, NetworkInfo>();
  readonly volumes = new Map<string, VolumeInfo>();
  /** Every call, in order: `operation id-or-name`. */
  readonly calls: string[] = [];
  /** How long each engine-mutating call takes (ms); 0 resolves on the next turn. */
  mutationDelayMs = 0;
  mutationsInFlight = 0;
  mutationsPeak = 0;
  up = true;
  private readonly failures = new Map<Operation, Array<() => Error>>();
  private readonly subscribers = new Set<{ labels: Record<string, string>; push: (e: RuntimeEvent) => void }>();
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The next call of `operation` fails with `error` (queued: call several times for several failures). */
  failNext(operation: Operation, error: () => Error = () => new BerthError('RUNTIME_ERROR', `injected ${operation} failure`)): void {
    const queue = this.failures.get(operation) ?? [];
    queue.push(error);
    this.failures.set(operation, queue);
  }

  /** The container exits by itself (a crash): state, exit code and a `die` event. */
  crash(id: string, exitCode = 1, oomKilled = false): void {
    const c = this.must(id);
    c.info = { ...c.info, state: 'exited', exitCode, oomKilled, finishedAt: this.iso() };
    if (oomKilled) this.emit('oom', c);
    this.emit('die', c);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private must(idOrName: string): FakeContainer {
    const c = this.find(idOrName);
    if (!c) throw new BerthError('CONTAINER_NOT_FOUND', `no container ${idOrName}`);
    return c;
  }

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.info.name === idOrName);
  }

  private async call<T>(operation: Operation, target: string, fn: () => T): Promise<T> {
    this.calls.push(`${operation} ${target}`);
    const mutating = (ENGINE_MUTATIONS as readonly string[]).includes(operation);
    if (mutating) {
      this.mutationsInFlight++;
      this.mutationsPeak = Math.max(this.mutationsPeak, this.mutationsInFlight);
    }
    try {
      if (mutating) await new Promise((resolve) => setTimeout(resolve, this.mutationDelayMs));
      else await Promise.resolve();
      if (!this.up) throw new BerthError('RUNTIME_UNAVAILABLE', 'the fake engine is down');
      const failure = this.failures.get(operation)?.shift();
      if (failure) throw failure();
      return fn();
    } finally {
      if (mutating) this.mutationsInFlight--;
    }
  }

  private emit(type: RuntimeEventType, c: FakeContainer): void {
    const event: RuntimeEvent = { type, containerId: c.info.id, labels: { ...c.info.labels }, exitCode: c.info.exitCode, at: this.now() };
    for (const s of this.subscribers) {
      if (Object.entries(s.labels).every(([k, v]) => event.labels[k] === v)) s.push(event);
    }
  }

  ping(): Promise<RuntimeInfo> {
    return this.call('ping', '', () => ({ engine: 'fake', version: '1', apiVersion: '1.41' }));
  }

  imageExists(image: string): Promise<boolean> {
    return this.call('imageExists', image, () => this.images.has(image));
  }

  createContainer(spec: ContainerSpec): Promise<string> {
    return this.call('createContainer', spec.name, () => {
      if (!this.images.has(spec.image)) throw new BerthError('IMAGE_NOT_FOUND', `no image ${spec.image}`);
      if (this.find(spec.name)) throw new BerthError('CONFLICT', `a container named ${spec.name} exists`);
      const id = `fake${String(++this.seq).padStart(8, '0')}`;
      const c: FakeContainer = {
        spec,
        info: {
          id, name: spec.name, image: spec.image, state: 'created', labels: { ...spec.labels }, createdAt: this.iso(), startedAt: null,
          finishedAt: null, exitCode: null, oomKilled: false, health: null, restartCount: 0,
          ports: [{ containerPort: spec.containerPort, hostPort: spec.hostPort, hostIp: spec.bindAddress }],
        },
      };
      this.containers.set(id, c);
      this.emit('create', c);
      return id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.call('startContainer', id, () => {
      const c = this.must(id);
      if (c.info.state === 'running') return;
      c.info = { ...c.info, state: 'running', startedAt: this.iso(), exitCode: null, oomKilled: false };
      this.emit('start', c);
    });
  }

  stopContainer(id: string, _timeoutSeconds: number): Promise<void> {
    return this.call('stopContainer', id, () => {
      const c = this.must(id);
      if (c.info.state !== 'running') return;
      c.info = { ...c.info, state: 'exited', exitCode: 0, finishedAt: this.iso() };
      this.emit('die', c);
      this.emit('stop', c);
    });
  }

  restartContainer(id: string, _timeoutSeconds: number): Promise<void> {
    return this.call('restartContainer', id, () => {
      const c = this.must(id);
      if (c.info.state === 'running') this.emit('die', c);
      c.info = { ...c.info, state: 'running', startedAt: this.iso(), exitCode: null, restartCount: c.info.restartCount + 1 };
      this.emit('start', c);
      this.emit('restart', c);
    });
  }

  killContainer(id: string, _signal?: string): Promise<void> {
    return this.call('killContainer', id, () => this.crash(id, 137));
  }

  removeContainer(id: string): Promise<void> {
    return this.call('removeContainer', id, () => {
      const c = this.find(id);
      if (!c) return;
      this.containers.delete(c.info.id);
      this.emit('destroy', c);
    });
  }

  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    return this.call('inspectContainer', idOrName, () => {
      const c = this.find(idOrName);
      return c ? { ...c.info, labels: { ...c.info.labels } } : undefined;
    });
  }

  listContainers(options: { labels?: Record<string, string>; all: boolean }): Promise<ContainerInfo[]> {
    return this.call('listContainers', '', () => [...this.containers.values()]
      .filter((c) => options.all || c.info.state === 'running')
      .filter((c) => Object.entries(options.labels ?? {}).every(([k, v]) => c.info.labels[k] === v))
      .map((c) => ({ ...c.info })));
  }

  async *logs(id: string): AsyncIterable<LogLine> {
    const c = await this.call('logs', id, () => this.must(id));
    yield { stream: 'stdout', time: c.info.startedAt ?? this.iso(), text: `${c.info.name} started` };
  }

  stats(id: string, _options?: StatsOptions): Promise<ContainerStats> {
    return this.call('stats', id, () => {
      this.must(id);
      return { at: this.iso(), cpuPercent: 0, onlineCpus: 1, memoryBytes: 0, memoryLimitBytes: 0, networkRxBytes: 0, networkTxBytes: 0, pids: 1 };
    });
  }

  exec(id: string, argv: string[]): Promise<ExecResult> {
    return this.call('exec', id, () => {
      if (this.must(id).info.state !== 'running') throw new BerthError('INVALID_STATE', `container ${id} is not running`);
      return { exitCode: 0, output: argv.join(' '), truncated: false, timedOut: false };
    });
  }

  ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    return this.call('ensureNetwork', spec.name, () => {
      const existing = this.networks.get(spec.name);
      if (existing) return existing;
      const made = { id: `net-${spec.name}`, name: spec.name, subnet: spec.subnet ?? null, labels: { ...spec.labels } };
      this.networks.set(spec.name, made);
      return made;
    });
  }

  removeNetwork(name: string): Promise<void> {
    return this.call('removeNetwork', name, () => void this.networks.delete(name));
  }

  listNetworks(labels: Record<string, string>): Promise<NetworkInfo[]> {
    return this.call('listNetworks', '', () => [...this.networks.values()].filter((n) => Object.entries(labels).every(([k, v]) => n.labels[k] === v)));
  }

  ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    return this.call('ensureVolume', name, () => {
      if (!this.volumes.has(name)) this.volumes.set(name, { name, labels: { ...labels } });
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.call('removeVolume', name, () => void this.volumes.delete(name));
  }

  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return this.call('listVolumes', '', () => [...this.volumes.values()].filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)));
  }

  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    const sub = { labels, push: (e: RuntimeEvent) => { queue.push(e); wake?.(); } };
    this.subscribers.add(sub);
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.subscribers.delete(sub);
    }
  }
}
