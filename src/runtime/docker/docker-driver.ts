import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../common/errors.js';
import type {
  ContainerInfo, ContainerSpec, ContainerState, ContainerStats, StatsOptions, ExecResult, ImportToVolumeOptions, LogLine, LogOptions, NetworkInfo,
  NetworkSpec, PathEntry, PathStat, ReadPathOptions, RuntimeDriver, RuntimeEvent, RuntimeEventType, RuntimeInfo, VolumeInfo,
} from '../runtime-driver.js';
import { engineError } from './docker-connection.js';
import { demuxBuffer, demuxStream, toLogLines } from './demux.js';
import { engineInfo } from './engine-info.js';
import { execWithTimeout } from './exec-with-timeout.js';
import { verifyNetwork } from './verify-network.js';
import { policyFromLabels, type EgressFirewall } from './egress-rules.js';
import { LABELS } from '../labels.js';
import { measureAllDiskUsage, measureDiskUsage, measureVolumeSizes, type DiskUsage } from './disk-usage.js';
import { detectDiskLimitSupport, storageOptRefused, type DiskLimitSupport } from './disk-limits.js';
import { readArchive } from './read-archive.js';
import { exportPath, importToVolume } from './workspace-archive.js';
import { statPath } from './stat-path.js';
import { AMBIGUOUS_NETWORK, settleDuplicateNetworks } from './settle-duplicate-networks.js';

/** How long rules checked by this process are trusted before ensureNetwork checks them again. */
const EGRESS_RECHECK_MS = 60_000;

const KNOWN_EVENTS = new Set<RuntimeEventType>(['create', 'start', 'die', 'oom', 'kill', 'stop', 'destroy', 'restart']);

function labelFilter(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** The Docker Engine API behind berth's runtime port. */
export class DockerDriver implements RuntimeDriver {
  readonly name = 'docker' as const;

  /**
   * `streams` serves long-lived calls (followed logs, the event stream): it must have no
   * request timeout, or a quiet stream is cut and looks like the engine going away.
   */
  constructor(private readonly docker: Docker, private readonly host: string, private readonly streams: Docker = docker, private readonly firewall?: EgressFirewall) {}

  /** Re-applies the egress rules of every network of a scope (after a reboot or a firewall reload). */
  async applyEgressForScope(scope: string): Promise<number> {
    if (!this.firewall) return 0;
    let rules = 0;
    for (const n of await this.listNetworks({ [LABELS.managed]: 'true', [LABELS.scope]: scope })) {
      // Networks made before egress policies existed get the default, public.
      rules += await this.applyEgress(n, policyFromLabels(n.labels) ?? { mode: 'public', allow: [] }, true);
    }
    return rules;
  }

  /** Every volume's size (bytes; null when unknown), by name, from one engine disk-usage call. */
  async volumeSizes(): Promise<Map<string, number | null>> {
    try {
      return await measureVolumeSizes(this.docker);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Disk use of every container, by id, from one engine disk-usage call. */
  async diskUsageAll(): Promise<Map<string, DiskUsage>> {
    try {
      return await measureAllDiskUsage(this.docker);
    } catch (error) {
      this.fail(error);
    }
  }

  /** berth's rules of one scope on this host (doctor, /health). */
  async egressRules(scope: string): Promise<number | undefined> {
    return this.firewall ? (await this.firewall.list(scope)).length : undefined;
  }

  /**
   * Networks whose rules this process checked lately (by network id and policy), with the rule
   * count: every create passes through ensureNetwork, and checking the rules runs iptables
   * several times (tens of ms on a create's critical path). A rule deleted by hand (a firewall
   * reload) is put back within EGRESS_RECHECK_MS, and at every boot.
   */
  private readonly egressChecked = new Map<string, { at: number; rules: number }>();

  private async applyEgress(n: NetworkInfo, policy: NonNullable<NetworkSpec['egressPolicy']>, recheck = false): Promise<number> {
    if (!this.firewall) return 0;
    const key = `${n.id} ${policy.mode} ${policy.allow.join(',')}`;
    const checked = this.egressChecked.get(key);
    if (checked && !recheck && Date.now() - checked.at < EGRESS_RECHECK_MS) return checked.rules;
    const raw = await this.docker.getNetwork(n.id).inspect() as { Options?: Record<string, string> };
    const iface = raw.Options?.['com.docker.network.bridge.name'] ?? `br-${n.id.slice(0, 12)}`;
    const rules = await this.firewall.apply(n.labels[LABELS.scope] ?? 'default', n.name, iface, policy);
    if (this.egressChecked.size > 10_000) this.egressChecked.clear();
    this.egressChecked.set(key, { at: Date.now(), rules });
    return rules;
  }

  /** The last CPU reading per container, the baseline for the next one-shot sample. */
  private readonly cpuSamples = new Map<string, { at: number; total: number; system: number }>();

  private fail(error: unknown, what?: string): never {
    throw engineError(error, this.host, what);
  }

  /** Which engine answers (from the last ping): Podman's networks differ (see verify-network.ts). */
  private engineKind: 'docker' | 'podman' = 'docker';

  /** Known after the first successful ping; see disk-limits.ts. */
  private diskLimits: DiskLimitSupport | undefined;

  /** Whether plan `disk` can be enforced on the writable layer (undefined until the engine answered). */
  diskLimitSupport(): DiskLimitSupport | undefined {
    return this.diskLimits;
  }

  async ping(): Promise<RuntimeInfo> {
    try {
      this.diskLimits ??= await detectDiskLimitSupport(this.docker);
      const info = engineInfo(await this.docker.version());
      this.engineKind = info.engine === 'podman' ? 'podman' : 'docker';
      return info;
    } catch (error) {
      this.fail(error);
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      const e = engineError(error, this.host, 'image');
      if (e.code === 'CONTAINER_NOT_FOUND' || e.code === 'IMAGE_NOT_FOUND') return false;
      throw e;
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const port = `${spec.containerPort}/tcp`;
    try {
      const container = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        User: spec.user,
        Hostname: spec.hostname,
        ExposedPorts: { [port]: {} },
        StopTimeout: spec.stopTimeoutSeconds,
        HostConfig: {
          NanoCpus: Math.round(spec.cpus * 1e9),
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          PidsLimit: spec.pidsLimit,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          Privileged: false,
          ReadonlyRootfs: spec.readOnlyRootfs,
          // Zombies are reaped inside the PID limit; /tmp is scratch, never a place to run code from.
          Init: true,
          Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${spec.tmpSizeBytes ?? 64 * 1024 ** 2}` },
          // Podman replaces its configured default ulimits (containers.conf) with any list given
          // here and then raises nproc past what a constrained host allows; there, the
          // operator's containers.conf sets nofile instead.
          ...(this.engineKind === 'podman' ? {} : { Ulimits: [{ Name: 'nofile', Soft: spec.nofile ?? 8192, Hard: spec.nofile ?? 8192 }] }),
          ...(spec.diskBytes && this.diskLimits?.supported ? { StorageOpt: { size: String(spec.diskBytes) } } : {}),
          PortBindings: { [port]: [{ HostIp: spec.bindAddress, HostPort: String(spec.hostPort) }] },
          NetworkMode: spec.network,
          Mounts: [
            ...spec.volumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target, ReadOnly: false })),
            ...spec.binds.map((b) => ({ Type: 'bind' as const, Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
          ],
          LogConfig: { Type: 'json-file', Config: { 'max-size': spec.logMaxSize, 'max-file': String(spec.logMaxFile) } },
          RestartPolicy: { Name: 'no' },
        },
      });
      return container.id;
    } catch (error) {
      if (spec.diskBytes && this.diskLimits?.supported && storageOptRefused(error)) {
        // overlay2 on xfs without pquota: say so once, and create without the limit.
        this.diskLimits = { supported: false, detail: `the engine refused a writable-layer size limit: ${String((error as Error).message).slice(0, 200)}` };
        return this.createContainer(spec);
      }
      const e = engineError(error, this.host, 'image');
      if (e.code === 'CONTAINER_NOT_FOUND' || e.code === 'IMAGE_NOT_FOUND') {
        throw new BerthError('IMAGE_NOT_FOUND', `image ${spec.image} is not present on the engine; berth does not pull or build images implicitly`, { cause: error });
      }
      throw e;
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return; // already running
      this.fail(error, 'container');
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      // The engine waits up to t seconds before SIGKILL: the call's deadline is that plus a margin.
      await this.streams.getContainer(id).stop({ t: timeoutSeconds, abortSignal: stopDeadline(timeoutSeconds) });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return; // already stopped
      this.fail(error, 'container');
    }
  }

  async restartContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.streams.getContainer(id).restart({ t: timeoutSeconds, abortSignal: stopDeadline(timeoutSeconds) });
    } catch (error) {
      this.fail(error, 'container');
    }
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return; // not running
      this.fail(error, 'container');
    }
  }

  async renameContainer(id: string, name: string): Promise<void> {
    try {
      await this.docker.getContainer(id).rename({ name });
    } catch (error) {
      this.fail(error, 'container');
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) return;
      // 409 "removal already in progress" means someone else is removing it: fine.
      if (status === 409 && /already in progress/i.test(String((error as Error).message))) return;
      this.fail(error, 'container');
    }
  }

  async pauseContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).pause();
    } catch (error) {
      this.fail(error, 'container');
    }
  }

  async unpauseContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).unpause();
    } catch (error) {
      // 409 "is not paused": already thawed.
      if ((error as { statusCode?: number }).statusCode === 409 && /not paused/i.test(String((error as Error).message))) return;
      this.fail(error, 'container');
    }
  }

  /** Archive streams can be large: they use the client without a request timeout. */
  exportPath(id: string, path: string): Promise<Readable> {
    return exportPath(this.streams, this.host, id, path);
  }

  importToVolume(options: ImportToVolumeOptions): Promise<string> {
    return importToVolume(this.streams, this.host, options);
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    try {
      const c = await this.docker.getContainer(idOrName).inspect();
      const ports: ContainerInfo['ports'] = [];
      for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
        for (const b of bindings ?? []) ports.push({ containerPort: Number.parseInt(key, 10), hostPort: Number(b.HostPort), hostIp: b.HostIp });
      }
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        state: c.State.Status as ContainerState,
        labels: c.Config.Labels ?? {},
        createdAt: c.Created ?? null,
        startedAt: validTime(c.State.StartedAt),
        finishedAt: validTime(c.State.FinishedAt),
        exitCode: c.State.Running ? null : c.State.ExitCode,
        oomKilled: Boolean(c.State.OOMKilled),
        health: c.State.Health?.Status ?? null,
        restartCount: c.RestartCount ?? 0,
        ports,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      this.fail(error, 'container');
    }
  }

  async listContainers(options: { labels?: Record<string, string>; all: boolean }): Promise<ContainerInfo[]> {
    try {
      const list = await this.docker.listContainers({ all: options.all, filters: { label: labelFilter(options.labels) } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        state: c.State as ContainerState,
        labels: c.Labels ?? {},
        createdAt: new Date(c.Created * 1000).toISOString(),
        startedAt: null,
        finishedAt: null,
        exitCode: null,
        oomKilled: false,
        health: /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1] ?? null,
        restartCount: 0,
        ports: c.Ports.filter((p) => p.PublicPort).map((p) => ({ containerPort: p.PrivatePort, hostPort: p.PublicPort, hostIp: p.IP ?? '' })),
      }));
    } catch (error) {
      this.fail(error);
    }
  }

  async *logs(id: string, options: LogOptions): AsyncGenerator<LogLine> {
    const container = this.docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      since: options.since ?? 0,
    } as const;
    if (!options.follow) {
      let buffer: Buffer;
      try {
        buffer = (await container.logs({ ...base, follow: false })) as unknown as Buffer;
      } catch (error) {
        this.fail(error, 'container');
      }
      yield* toLogLines(demuxBuffer(buffer));
      return;
    }
    let stream: Readable;
    try {
      stream = (await this.streams.getContainer(id).logs({ ...base, follow: true })) as unknown as Readable;
    } catch (error) {
      this.fail(error, 'container');
    }
    const abort = (): void => void stream.destroy();
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      yield* toLogLines(demuxStream(stream));
    } catch (error) {
      if (!options.signal?.aborted) throw engineError(error, this.host, 'container');
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stream.destroy();
    }
  }

  async stats(id: string, options: StatsOptions = {}): Promise<ContainerStats> {
    try {
      // The engine spends a second measuring CPU unless asked for one shot; a watch's previous
      // sample (if recent) serves as the baseline instead, so `stats --watch --interval 1` keeps time.
      const previous = this.cpuSamples.get(id);
      const recent = previous !== undefined && Date.now() - previous.at < 30_000;
      const s = await this.docker.getContainer(id).stats({ stream: false, ...(recent ? { 'one-shot': true } : {}) });
      // A container that stopped or is dying is answered with empty sections: read every one guarded.
      const cpu = s.cpu_stats?.cpu_usage;
      const base = recent ? previous : { total: s.precpu_stats?.cpu_usage?.total_usage ?? 0, system: s.precpu_stats?.system_cpu_usage ?? 0 };
      const cpuDelta = (cpu?.total_usage ?? 0) - base.total;
      const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - base.system;
      const cpus = s.cpu_stats?.online_cpus ?? cpu?.percpu_usage?.length ?? 1;
      if (cpu?.total_usage) {
        this.cpuSamples.delete(id);
        this.cpuSamples.set(id, { at: Date.now(), total: cpu.total_usage, system: s.cpu_stats.system_cpu_usage ?? 0 });
        if (this.cpuSamples.size > 1000) this.cpuSamples.delete(this.cpuSamples.keys().next().value!);
      } else {
        this.cpuSamples.delete(id);
      }
      const net = Object.values(s.networks ?? {});
      return {
        at: s.read,
        cpuPercent: systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
        onlineCpus: cpus,
        memoryBytes: s.memory_stats?.usage ?? 0,
        memoryLimitBytes: s.memory_stats?.limit ?? 0,
        networkRxBytes: net.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0),
        networkTxBytes: net.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0),
        pids: s.pids_stats?.current ?? 0,
        ...(options.disk === false ? {} : await measureDiskUsage(this.docker, id).catch(() => ({ writableLayerBytes: null, workspaceBytes: null }))),
      };
    } catch (error) {
      this.fail(error, 'container');
    }
  }

  async exec(id: string, argv: string[], options: { timeoutMs: number; outputLimitBytes: number; user?: string }): Promise<ExecResult> {
    try {
      // A timed-out exec is killed inside the container, never through a host PID.
      return await execWithTimeout(this.docker.getContainer(id), argv, options, this.streams.getContainer(id));
    } catch (error) {
      this.fail(error, 'container');
    }
  }

  readPath(id: string, path: string, options: ReadPathOptions): Promise<PathEntry[] | undefined> {
    return readArchive(this.docker, this.host, id, path, options);
  }

  statPath(id: string, path: string): Promise<PathStat | undefined> {
    return statPath(this.docker, this.host, id, path);
  }

  async ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    const existing = await this.inspectNetwork(spec.name, spec);
    if (existing) {
      if (spec.egressPolicy) await this.applyEgress(existing, spec.egressPolicy);
      return existing;
    }
    try {
      await this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: spec.internal,
        Labels: spec.labels,
        Options: {
          'com.docker.network.bridge.enable_icc': spec.icc ? 'true' : 'false',
          ...(spec.egress === false ? { 'com.docker.network.bridge.enable_ip_masquerade': 'false' } : {}),
        },
        ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] } } : {}),
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) this.fail(error, 'network');
    }
    // Verified too: a racing creator (another berth, a person) may have won the name.
    const made = await this.inspectNetwork(spec.name, spec);
    if (!made) throw new BerthError('RUNTIME_ERROR', `network ${spec.name} vanished right after it was created`);
    if (spec.egressPolicy) await this.applyEgress(made, spec.egressPolicy);
    return made;
  }

  private async inspectNetwork(name: string, verifyAgainst?: NetworkSpec): Promise<NetworkInfo | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const n = await this.docker.getNetwork(name).inspect();
        if (verifyAgainst) verifyNetwork(n, verifyAgainst, this.engineKind);
        return { id: n.Id, name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet ?? null, labels: n.Labels ?? {} };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        // Two creators raced to this name: keep the oldest, then look again (once).
        if (attempt === 0 && AMBIGUOUS_NETWORK.test(String((error as Error).message))) {
          await settleDuplicateNetworks(this.docker, name, verifyAgainst?.labels[LABELS.scope]).catch(() => 0);
          continue;
        }
        this.fail(error, 'network');
      }
    }
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      const scope = this.firewall ? (await this.inspectNetwork(name))?.labels[LABELS.scope] : undefined;
      await this.docker.getNetwork(name).remove();
      // Its rules go with it (only berth's own, found by their tag).
      if (this.firewall && scope) await this.firewall.remove(scope, name);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      this.fail(error, 'network');
    }
  }

  async listNetworks(labels: Record<string, string>): Promise<NetworkInfo[]> {
    try {
      const list = await this.docker.listNetworks({ filters: { label: labelFilter(labels) } });
      return list.map((n) => ({ id: n.Id, name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet ?? null, labels: n.Labels ?? {} }));
    } catch (error) {
      this.fail(error);
    }
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    try {
      await this.docker.createVolume({ Name: name, Labels: labels });
    } catch (error) {
      this.fail(error, 'volume');
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      this.fail(error, 'volume');
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    try {
      const res = await this.docker.listVolumes({ filters: { label: labelFilter(labels) } });
      return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    } catch (error) {
      this.fail(error);
    }
  }

  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncGenerator<RuntimeEvent> {
    let stream: Readable;
    try {
      stream = (await this.streams.getEvents({ filters: { type: ['container'], label: labelFilter(labels) } })) as unknown as Readable;
    } catch (error) {
      this.fail(error);
    }
    const abort = (): void => void stream.destroy();
    signal.addEventListener('abort', abort, { once: true });
    let pending = '';
    try {
      for await (const data of stream) {
        pending += (data as Buffer).toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const raw = JSON.parse(line) as { Action?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number; time?: number };
          const action = (raw.Action ?? '').split(':')[0] as RuntimeEventType;
          const attributes = raw.Actor?.Attributes ?? {};
          const exit = attributes.exitCode;
          yield {
            type: KNOWN_EVENTS.has(action) ? action : 'other',
            containerId: raw.Actor?.ID ?? raw.id ?? '',
            labels: attributes,
            exitCode: exit === undefined ? null : Number(exit),
            at: raw.timeNano ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000,
          };
        }
      }
    } catch (error) {
      if (!signal.aborted) throw engineError(error, this.host);
    } finally {
      signal.removeEventListener('abort', abort);
      stream.destroy();
    }
  }
}

/** A stop or restart may take its own timeout; beyond it plus a margin the engine is stuck. */
export function stopDeadline(timeoutSeconds: number, marginSeconds = 30): AbortSignal {
  return AbortSignal.timeout((timeoutSeconds + marginSeconds) * 1000);
}

function validTime(value: string | undefined): string | null {
  return value && !value.startsWith('0001-') ? value : null;
}
