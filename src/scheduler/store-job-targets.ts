import { BerthError } from '../common/errors.js';
import type { ExecOutcome, HttpCall, HttpOutcome, JobTargets, SnapshotOutcome, TargetInstance } from '../core/jobs/job-targets.js';
import type { JobTarget } from '../core/jobs/job-types.js';
import { LABELS } from '../runtime/labels.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import type { InstancesRepo, InstanceTarget } from '../store/repositories/instances-repo.js';
import { maskSecrets } from '../core/secrets/mask-secrets.js';
import { httpCall } from './http-call.js';

export interface StoreJobTargetsDeps {
  repo: InstancesRepo;
  runtime: RuntimeDriver;
  scope: string;
  /** runtime.bindAddress: where instance ports are published. */
  bindAddress: string;
  /** The instances service's restart: the one restart path, which keeps status, counters and events consistent. */
  restartInstance: (instanceId: string, actor: string, reason: string) => Promise<void>;
  /** The instance's secret values: masked in captured output before it is stored. */
  secretsOf?: (instanceId: string) => Promise<string[]>;
  /** The snapshot service's create (trigger scheduled). */
  snapshotInstance?: (instanceId: string, mode: 'pause' | 'stop', actor: string) => Promise<SnapshotOutcome>;
}

/** JobTargets over the instances table (read only) and the runtime port. */
export class StoreJobTargets implements JobTargets {
  constructor(private readonly deps: StoreJobTargetsDeps) {}

  async find(nameOrId: string): Promise<TargetInstance | undefined> {
    const rows = await this.deps.repo.listTargets({ instance: nameOrId });
    return rows[0] ? toTarget(rows[0]) : undefined;
  }

  async resolve(target: JobTarget, tenant: string | null): Promise<TargetInstance[]> {
    // A tenant's job acts within its tenant only, whatever its target says; an instance target
    // resolves by its bound id only, so a job never reaches a later instance that took the name.
    if ('instance' in target) {
      if (!target.instanceId) return [];
      return (await this.deps.repo.listTargets({ instanceId: target.instanceId }, tenant)).map(toTarget);
    }
    return (await this.deps.repo.listTargets(target, tenant)).map(toTarget);
  }

  async restart(instance: TargetInstance, actor: string, reason: string): Promise<void> {
    // A restart would also start an instance someone stopped on purpose.
    if (instance.desiredState === 'stopped') throw new BerthError('INVALID_STATE', `instance ${instance.name} is stopped; a job does not start it`);
    await this.deps.restartInstance(instance.id, actor, reason);
  }

  async snapshot(instance: TargetInstance, mode: 'pause' | 'stop', actor: string): Promise<SnapshotOutcome> {
    if (!this.deps.snapshotInstance) throw new BerthError('INVALID_STATE', 'snapshots are not available on this berth');
    return this.deps.snapshotInstance(instance.id, mode, actor);
  }

  async exec(instance: TargetInstance, argv: string[], options: { timeoutMs: number; outputLimitBytes: number }): Promise<ExecOutcome> {
    const out = await this.deps.runtime.exec(await this.containerOf(instance), argv, options);
    return { ...out, output: maskSecrets(out.output, await this.secretsOf(instance)) };
  }

  private async secretsOf(instance: TargetInstance): Promise<string[]> {
    return this.deps.secretsOf ? this.deps.secretsOf(instance.id) : [];
  }

  async http(instance: TargetInstance, call: HttpCall, options: { timeoutMs: number; outputLimitBytes: number; signal: AbortSignal }): Promise<HttpOutcome> {
    if (!instance.hostPort) throw new BerthError('INVALID_STATE', `instance ${instance.name} has no published port`);
    // On a cluster the port answers on the node running the instance.
    const host = (instance.containerId ? this.deps.runtime.probeAddress?.(instance.containerId) : undefined) ?? loopbackFor(this.deps.bindAddress);
    const out = await httpCall(call, { ...options, host, port: instance.hostPort });
    return { ...out, body: maskSecrets(out.body, await this.secretsOf(instance)) };
  }

  /** The stored container id, or the container labelled with the instance in this berth's scope. */
  private async containerOf(instance: TargetInstance): Promise<string> {
    if (instance.containerId) return instance.containerId;
    const [found] = await this.deps.runtime.listContainers({
      all: true,
      labels: { [LABELS.managed]: 'true', [LABELS.scope]: this.deps.scope, [LABELS.instance]: instance.id },
    });
    if (!found) throw new BerthError('CONTAINER_NOT_FOUND', `instance ${instance.name} has no container yet`);
    return found.id;
  }
}

function toTarget(row: InstanceTarget): TargetInstance {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    plan: row.plan,
    containerId: row.containerId,
    hostPort: row.hostPort,
    status: row.status,
    desiredState: row.desiredState,
  };
}

/** A wildcard bind is reached over loopback. */
function loopbackFor(bindAddress: string): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '') return '127.0.0.1';
  if (bindAddress === '::') return '::1';
  return bindAddress;
}
