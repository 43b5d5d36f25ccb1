import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { BenchContext } from './bench-context.js';
import { benchLabels } from './bench-context.js';
import { execCommand } from '../lib/exec-command.js';
import { throwIfAborted } from '../lib/abort.js';
import { TENANT, type Provisioner, type Tenant } from '../lib/tenant-spec.js';
import { waitHealthy } from '../lib/wait-healthy.js';

/**
 * The per-customer seed's method: a generated compose file per tenant, `docker-compose -p
 * <tenant> up -d`, a network per tenant, `down` to delete. The file uses format 2.4 so that
 * docker-compose v1 applies the CPU/memory/pids limits (the seed's 3.x `deploy.resources`
 * are ignored by v1 without --compatibility), and each tenant network gets a /28 from
 * 10.213.0.0/16 (the seed's fixed 172.25.0.0/16 would collide from the second tenant on,
 * and Docker's default pools run out near 30 networks).
 */
export class ComposeProvisioner implements Provisioner {
  readonly name = 'compose';
  private readonly dir: string;
  private nextSubnet = Math.floor(Math.random() * 2048);

  constructor(private readonly ctx: BenchContext, private readonly binary = 'docker-compose') {
    this.dir = path.join(ctx.workDir, 'compose');
  }

  async setup(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
  }

  private file(name: string): string {
    return path.join(this.dir, `docker-compose-${name}.yml`);
  }

  private subnet(): string {
    const index = this.nextSubnet++ % 4096;
    return `10.213.${(index * 16) >> 8}.${(index * 16) & 255}/28`;
  }

  async provision(name: string): Promise<Tenant> {
    throwIfAborted();
    const hostPort = await this.ctx.ports.take();
    const labels = benchLabels(this.ctx, this.name, name);
    const doc = {
      version: '2.4',
      services: {
        agent: {
          image: TENANT.image,
          container_name: name,
          hostname: name,
          user: TENANT.user,
          labels,
          ports: [`${TENANT.bindAddress}:${hostPort}:${TENANT.containerPort}`],
          cpus: TENANT.cpus,
          mem_limit: TENANT.memoryBytes,
          memswap_limit: TENANT.memoryBytes,
          pids_limit: TENANT.pidsLimit,
          cap_drop: ['ALL'],
          security_opt: ['no-new-privileges:true'],
          volumes: [`workspace:${TENANT.workspaceTarget}`],
          logging: { driver: 'json-file', options: { 'max-size': TENANT.logMaxSize, 'max-file': String(TENANT.logMaxFile) } },
          networks: ['tenant'],
        },
      },
      networks: { tenant: { driver: 'bridge', labels, ipam: { config: [{ subnet: this.subnet() }] } } },
      volumes: { workspace: { labels } },
    };
    // Every string quoted: docker-compose v1 reads YAML 1.1, where `no` or `1:2` are not strings.
    writeFileSync(this.file(name), stringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }));
    await this.compose(name, ['up', '-d']);
    await waitHealthy(hostPort, 120_000);
    return { name, hostPort };
  }

  async remove(tenant: Tenant): Promise<void> {
    await this.compose(tenant.name, ['down', '-v']);
    rmSync(this.file(tenant.name), { force: true });
    this.ctx.ports.release(tenant.hostPort);
  }

  private compose(name: string, args: string[]): Promise<unknown> {
    return execCommand(this.binary, ['-p', name, '-f', this.file(name), '--ansi', 'never', ...args], {
      // Under a burst the engine answers slowly; v1's default 60 s HTTP timeout would fail it.
      env: { ...process.env, COMPOSE_HTTP_TIMEOUT: '300' },
      timeoutMs: 600_000,
    });
  }

  async teardown(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
