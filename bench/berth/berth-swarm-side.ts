import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { BenchContext } from '../baselines/bench-context.js';
import type { CleanupRegistry } from '../lib/cleanup-registry.js';
import { freePort } from '../lib/port-pool.js';
import type { Tenant } from '../lib/tenant-spec.js';
import { BerthClient } from './berth-client.js';
import { BerthDaemon } from './berth-daemon.js';
import { BerthProvisioner } from './berth-provisioner.js';

export interface SwarmSide {
  daemon: BerthDaemon;
  provisioner: BerthProvisioner;
  /** The host PID of a tenant's task: the test cluster's nodes share the host's PID namespace. */
  pidOf(tenant: Tenant): Promise<number>;
}

interface ClusterNode { hostname: string; engine: string }

/** The cluster `scripts/swarm-cluster.sh up` made, or undefined when it is not up. */
function clusterNodes(dir: string): ClusterNode[] | undefined {
  const file = path.join(dir, 'cluster.env');
  if (!existsSync(file)) return undefined;
  const env = Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));
  return Array.from({ length: Number(env.BERTH_SWARM_NODES ?? 0) }, (_, i) => ({
    hostname: env[`BERTH_SWARM_NODE${i + 1}_HOSTNAME`] ?? '',
    engine: env[`BERTH_SWARM_NODE${i + 1}_ENGINE`] ?? '',
  }));
}

/**
 * berth on runtime.driver swarm, against the local test cluster (the host engine is its
 * drained manager, two workers in network namespaces): the same API calls as the berth
 * column, each instance a one-replica service on a worker. Undefined when no cluster is up.
 */
export async function startSwarmSide(o: { ctx: BenchContext; root: string; cleanup: CleanupRegistry; probeIntervalSeconds: number; clusterDir: string }): Promise<SwarmSide | undefined> {
  const { ctx } = o;
  const nodes = clusterNodes(o.clusterDir);
  if (!nodes?.length) {
    ctx.log(`swarm side skipped: no test cluster (${o.clusterDir}/cluster.env); bring one up with \`bash scripts/swarm-cluster.sh up\``);
    return undefined;
  }
  const scope = `${ctx.runId}-sw`;
  const daemon = new BerthDaemon({
    root: o.root,
    dir: path.join(ctx.workDir, 'berth-swarm'),
    scope,
    port: await freePort(),
    portRange: '49000-49999',
    network: { sharedName: `${scope}-shared`, sharedSubnet: `10.233.${128 + Math.floor(Math.random() * 64)}.0/24`, subnetPool: '10.233.192.0/18' },
    extra: {
      runtime: { driver: 'swarm' },
      swarm: { startTimeoutSeconds: 60, nodeEngines: Object.fromEntries(nodes.map((n) => [n.hostname, n.engine])) },
    },
  });
  const engines = nodes.map((n) => new Docker({ socketPath: n.engine.replace(/^unix:\/\//, '') }));
  o.cleanup.onCleanup('berth swarm daemon', async () => {
    await daemon.stop();
    // Services, secrets and overlays of this scope on the manager; volumes on the nodes.
    const filters = { label: [`berth.scope=${scope}`] };
    for (const s of await ctx.docker.listServices({ filters }).catch(() => [])) await ctx.docker.getService(s.ID as string).remove().catch(() => undefined);
    const until = Date.now() + 60_000;
    for (;;) {
      const networks = (await ctx.docker.listNetworks({ filters }).catch(() => [])).filter((n) => n.Scope === 'swarm');
      const secrets = (await ctx.docker.listSecrets({ filters }).catch(() => [])) as Array<{ ID: string }>;
      if ((networks.length === 0 && secrets.length === 0) || Date.now() > until) break;
      for (const n of networks) await ctx.docker.getNetwork(n.Id).remove().catch(() => undefined);
      for (const s of secrets) await ctx.docker.getSecret(s.ID).remove().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const e of engines) {
      for (const v of (await e.listVolumes({ filters }).catch(() => ({ Volumes: [] }))).Volumes ?? []) await e.getVolume(v.Name).remove().catch(() => undefined);
    }
  });
  await daemon.start();
  let client = new BerthClient(daemon.url, daemon.adminToken());
  const current = () => client;
  const probe = await client.request('GET', '/v1/nodes');
  if (probe.status !== 200) throw new Error(`berth on swarm: GET /v1/nodes → ${probe.status}: ${probe.text.slice(0, 200)}`);
  client = new BerthClient(daemon.url, daemon.adminToken());
  return {
    daemon,
    provisioner: new BerthProvisioner(current, ctx.docker, o.probeIntervalSeconds, 'starter', {
      // Gone: the service, its task's container on the node, and the workspace volume there.
      async gone(tenant) {
        const service = await ctx.docker.getService(tenant.containerId ?? tenant.name).inspect().then(() => true, (e: { statusCode?: number }) => e.statusCode !== 404);
        if (service) return false;
        const filters = { label: [`berth.scope=${scope}`, `berth.name=${tenant.name}`] };
        for (const e of engines) {
          if ((await e.listContainers({ all: true, filters })).length) return false;
          if (((await e.listVolumes({ filters })).Volumes ?? []).length) return false;
        }
        return true;
      },
    }),
    async pidOf(tenant) {
      for (const e of engines) {
        const [c] = await e.listContainers({ filters: { label: [`berth.scope=${scope}`, `berth.name=${tenant.name}`] } }).catch(() => []);
        if (c) return (await e.getContainer(c.Id).inspect()).State.Pid;
      }
      throw new Error(`no running task for ${tenant.name} on any node`);
    },
  };
}
