import type Docker from 'dockerode';
import { throwIfAborted } from '../lib/abort.js';
import { TENANT, type Provisioner, type Tenant } from '../lib/tenant-spec.js';
import { POLL_MS, waitHealthy } from '../lib/wait-healthy.js';
import { BerthApiError, type BerthClient, type InstanceView } from './berth-client.js';

/**
 * berth as a user drives it: POST /v1/instances?wait=running (the call returns when berth
 * has seen the instance healthy), then one /health from outside so every side ends on the
 * same condition; DELETE, then until the instance is gone from the API and the engine.
 */
export class BerthProvisioner implements Provisioner {
  readonly name: string = 'berth';

  constructor(
    private readonly client: () => BerthClient,
    private readonly docker: Docker,
    private readonly probeIntervalSeconds: number,
    private readonly plan = 'starter',
    /** On Swarm: the instance answers on its node's address, and is gone when this says so (service, task, volume). */
    private readonly swarm?: { gone: (tenant: Tenant) => Promise<boolean> },
    /** The tenant image: the node test agent by default; the light agent (busybox httpd) for big populations. */
    private readonly image: string = TENANT.image,
  ) {
    if (swarm) this.name = 'swarm';
  }

  async setup(): Promise<void> {}

  async provision(name: string): Promise<Tenant> {
    throwIfAborted();
    const instance = await this.client().json<InstanceView>('POST', '/v1/instances?wait=running&timeout=120', {
      tenant: name,
      name,
      plan: this.plan,
      image: this.image,
      port: TENANT.containerPort,
      health: { path: TENANT.healthPath, intervalSeconds: this.probeIntervalSeconds },
    });
    if (instance.status !== 'running') throw new Error(`${name}: POST ?wait=running returned status ${instance.status}`);
    if (!instance.hostPort) throw new Error(`${name}: berth returned no hostPort`);
    const address = this.swarm && instance.url ? new URL(instance.url).hostname : undefined;
    await waitHealthy(instance.hostPort, 30_000, undefined, address);
    return { name, hostPort: instance.hostPort, ...(address ? { address } : {}), ...(instance.containerId ? { containerId: instance.containerId } : {}) };
  }

  async restart(tenant: Tenant): Promise<void> {
    await this.client().json('POST', `/v1/instances/${encodeURIComponent(tenant.name)}/actions`, { action: 'restart' });
  }

  async remove(tenant: Tenant): Promise<void> {
    const res = await this.client().request('DELETE', `/v1/instances/${encodeURIComponent(tenant.name)}`);
    if (![200, 202, 204].includes(res.status)) throw new BerthApiError(res.status, res.text, `DELETE ${tenant.name}`);
    const until = Date.now() + 120_000;
    let apiGone = false;
    let containerGone = !tenant.containerId;
    while (Date.now() < until) {
      if (!apiGone) apiGone = (await this.client().request('GET', `/v1/instances/${encodeURIComponent(tenant.name)}`)).status === 404;
      if (!containerGone) {
        containerGone = this.swarm
          ? await this.swarm.gone(tenant)
          : await this.docker.getContainer(tenant.containerId as string).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404);
      }
      if (apiGone && containerGone) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`${tenant.name} still there 120 s after DELETE (api gone: ${apiGone}, container gone: ${containerGone})`);
  }

  async teardown(): Promise<void> {}
}
