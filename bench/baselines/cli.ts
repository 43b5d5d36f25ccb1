import type { BenchContext } from './bench-context.js';
import { benchLabels } from './bench-context.js';
import { ensureSharedNetwork, removeNetwork } from './shared-network.js';
import { execCommand } from '../lib/exec-command.js';
import { throwIfAborted } from '../lib/abort.js';
import { TENANT, type Provisioner, type Tenant } from '../lib/tenant-spec.js';
import { waitHealthy } from '../lib/wait-healthy.js';

/** What a shell script does: one `docker run -d …` per tenant, then `docker rm -f`. */
export class CliProvisioner implements Provisioner {
  readonly name = 'cli';
  private network = '';

  constructor(private readonly ctx: BenchContext) {}

  async setup(): Promise<void> {
    await execCommand('docker', ['version', '--format', '{{.Client.Version}}']);
    this.network = await ensureSharedNetwork(this.ctx, this.name);
  }

  async provision(name: string): Promise<Tenant> {
    throwIfAborted();
    const hostPort = await this.ctx.ports.take();
    const labels = benchLabels(this.ctx, this.name, name);
    const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    const volumeLabels = Object.entries(labels).map(([k, v]) => `volume-label=${k}=${v}`).join(',');
    const { stdout } = await execCommand('docker', [
      'run', '-d', '--name', name, '--hostname', name, ...labelArgs,
      '--user', TENANT.user,
      '--cpus', String(TENANT.cpus), '--memory', String(TENANT.memoryBytes), '--memory-swap', String(TENANT.memoryBytes),
      '--pids-limit', String(TENANT.pidsLimit), '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true',
      '--network', this.network,
      '-p', `${TENANT.bindAddress}:${hostPort}:${TENANT.containerPort}`,
      '--mount', `type=volume,src=${name}-ws,dst=${TENANT.workspaceTarget},${volumeLabels}`,
      '--log-opt', `max-size=${TENANT.logMaxSize}`, '--log-opt', `max-file=${TENANT.logMaxFile}`,
      '--restart', 'no',
      TENANT.image,
    ]);
    await waitHealthy(hostPort, 120_000);
    return { name, hostPort, containerId: stdout.trim() };
  }

  async restart(tenant: Tenant): Promise<void> {
    await execCommand('docker', ['restart', tenant.name]);
  }

  async remove(tenant: Tenant): Promise<void> {
    await execCommand('docker', ['rm', '-f', tenant.name]);
    await execCommand('docker', ['volume', 'rm', `${tenant.name}-ws`]);
    this.ctx.ports.release(tenant.hostPort);
  }

  async teardown(): Promise<void> {
    await removeNetwork(this.ctx, this.network);
  }
}
