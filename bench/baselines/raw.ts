import type { BenchContext } from './bench-context.js';
import { benchLabels } from './bench-context.js';
import { ensureSharedNetwork, removeNetwork } from './shared-network.js';
import { throwIfAborted } from '../lib/abort.js';
import { TENANT, type Provisioner, type Tenant } from '../lib/tenant-spec.js';
import { waitHealthy } from '../lib/wait-healthy.js';

export interface RawOptions {
  /** Docker's own restart policy (the recover scenario's baseline). */
  restartOnFailure?: boolean;
  /** Name of the side in labels and tables. */
  side?: string;
}

/**
 * The limit: the Engine API over the socket with a keep-alive agent, no control plane —
 * create a workspace volume and a container, start it, poll its published port.
 */
export class RawProvisioner implements Provisioner {
  readonly name: string;
  private network = '';

  constructor(private readonly ctx: BenchContext, private readonly options: RawOptions = {}) {
    this.name = options.side ?? 'raw';
  }

  async setup(): Promise<void> {
    this.network = await ensureSharedNetwork(this.ctx, this.name);
  }

  async provision(name: string): Promise<Tenant> {
    throwIfAborted();
    const { docker } = this.ctx;
    const hostPort = await this.ctx.ports.take();
    const labels = benchLabels(this.ctx, this.name, name);
    const port = `${TENANT.containerPort}/tcp`;
    await docker.createVolume({ Name: `${name}-ws`, Labels: labels });
    const container = await docker.createContainer({
      name,
      Image: TENANT.image,
      Labels: labels,
      User: TENANT.user,
      Hostname: name,
      ExposedPorts: { [port]: {} },
      StopTimeout: 10,
      HostConfig: {
        NanoCpus: Math.round(TENANT.cpus * 1e9),
        Memory: TENANT.memoryBytes,
        MemorySwap: TENANT.memoryBytes,
        PidsLimit: TENANT.pidsLimit,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
        PortBindings: { [port]: [{ HostIp: TENANT.bindAddress, HostPort: String(hostPort) }] },
        NetworkMode: this.network,
        Mounts: [{ Type: 'volume', Source: `${name}-ws`, Target: TENANT.workspaceTarget, ReadOnly: false }],
        LogConfig: { Type: 'json-file', Config: { 'max-size': TENANT.logMaxSize, 'max-file': String(TENANT.logMaxFile) } },
        RestartPolicy: this.options.restartOnFailure ? { Name: 'on-failure', MaximumRetryCount: 5 } : { Name: 'no' },
      },
    });
    await container.start();
    await waitHealthy(hostPort, 120_000);
    return { name, hostPort, containerId: container.id };
  }

  async restart(tenant: Tenant): Promise<void> {
    await this.ctx.docker.getContainer(tenant.containerId ?? tenant.name).restart({ t: 10 });
  }

  async remove(tenant: Tenant): Promise<void> {
    const container = this.ctx.docker.getContainer(tenant.containerId ?? tenant.name);
    await container.stop({ t: 10 }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 304) throw error;
    });
    await container.remove({ force: true });
    await this.ctx.docker.getVolume(`${tenant.name}-ws`).remove();
    this.ctx.ports.release(tenant.hostPort);
  }

  async teardown(): Promise<void> {
    await removeNetwork(this.ctx, this.network);
  }
}
