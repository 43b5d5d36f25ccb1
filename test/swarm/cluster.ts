import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { startTestDaemon, type TestDaemon, type TestDaemonOptions } from '../helpers/test-daemon.js';
import { testEnv } from '../helpers/env.js';

/** The cluster scripts/swarm-cluster.sh made: the manager is the host engine, workers live in namespaces. */
export interface ClusterNode {
  index: number;
  hostname: string;
  engine: string;
  address: string;
  id: string;
}

const dir = process.env.BERTH_SWARM_DIR ?? '/tmp/berth-swarm';
const script = new URL('../../scripts/swarm-cluster.sh', import.meta.url).pathname;

export function clusterNodes(): ClusterNode[] {
  let text: string;
  try {
    text = readFileSync(`${dir}/cluster.env`, 'utf8');
  } catch {
    throw new Error(`no test cluster (${dir}/cluster.env is missing): run \`bash scripts/swarm-cluster.sh up\` (scripts/test-swarm.sh does)`);
  }
  const env = Object.fromEntries(text.split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));
  const count = Number(env.BERTH_SWARM_NODES);
  return Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    hostname: env[`BERTH_SWARM_NODE${i + 1}_HOSTNAME`]!,
    engine: env[`BERTH_SWARM_NODE${i + 1}_ENGINE`]!,
    address: env[`BERTH_SWARM_NODE${i + 1}_ADDRESS`]!,
    id: env[`BERTH_SWARM_NODE${i + 1}_ID`]!,
  }));
}

export function manager(): Docker {
  const host = testEnv.dockerHost;
  return new Docker({ socketPath: host.startsWith('unix://') ? host.slice(7) : host });
}

export function nodeDocker(node: ClusterNode): Docker {
  return new Docker({ socketPath: node.engine.slice('unix://'.length) });
}

/** Runs the cluster script (kill-node, revive-node), bounded. */
export async function clusterScript(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [script, ...args], { timeout: 180_000 });
  return stdout;
}

/** A berth daemon on the Swarm driver, with its own overlay ranges and a fast monitor. */
export async function startSwarmDaemon(options: TestDaemonOptions & { plans?: string } = {}): Promise<TestDaemon> {
  const nodes = clusterNodes();
  const k = 128 + Math.floor(Math.random() * 64);
  const yaml = [
    'runtime:',
    '  driver: swarm',
    'swarm:',
    '  startTimeoutSeconds: 60',
    '  nodeEngines:',
    ...nodes.map((n) => `    ${n.hostname}: ${n.engine}`),
    'network:',
    `  sharedSubnet: 10.233.${k}.0/24`,
    '  subnetPool: 10.233.192.0/18',
    ...(options.plans ? ['plans:', options.plans] : []),
  ].join('\n');
  const td = await startTestDaemon({
    yaml,
    ...options,
    flags: {
      'network.sharedName': `berth-sw-${Math.random().toString(36).slice(2, 8)}`,
      'restart.baseDelaySeconds': 1, 'restart.jitter': 0, 'monitor.flushIntervalMs': 200, 'runtime.stopTimeoutSeconds': 2,
      'monitor.reconcileIntervalSeconds': 5,
      ...(options.flags ?? {}),
    },
  });
  const cleanup = td.cleanup.bind(td);
  td.cleanup = async () => {
    await td.stop();
    await removeSwarmScope(td.scope);
    await cleanup();
  };
  return td;
}

/** Removes every service, secret and network of a test's scope, and its volumes on the nodes. */
export async function removeSwarmScope(scope: string): Promise<void> {
  const docker = manager();
  const filters = { label: [`berth.scope=${scope}`] };
  const services = await docker.listServices({ filters });
  await Promise.all(services.map((s) => docker.getService(s.ID!).remove().catch(() => undefined)));
  const deadline = Date.now() + 60_000;
  // Secrets and networks are refused while a task of a removed service is still shutting down.
  for (;;) {
    const secrets = (await docker.listSecrets({ filters })) as Array<{ ID: string }>;
    const networks = (await docker.listNetworks({ filters })).filter((n) => n.Scope === 'swarm');
    if (secrets.length === 0 && networks.length === 0) break;
    await Promise.all(secrets.map((s) => docker.getSecret(s.ID).remove().catch(() => undefined)));
    await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const node of clusterNodes()) {
    const engine = nodeDocker(node);
    const volumes = await engine.listVolumes({ filters }).catch(() => ({ Volumes: [] as Docker.VolumeInspectInfo[] }));
    await Promise.all((volumes.Volumes ?? []).map((v) => engine.getVolume(v.Name).remove().catch(() => undefined)));
  }
}

/** Runs argv in a container on a node's engine; the exit code and output (bounded by the command itself). */
export async function execIn(docker: Docker, containerId: string, argv: string[]): Promise<{ exitCode: number | null; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode, output: Buffer.concat(chunks).toString('utf8') };
}

/** scripts/node-firewall.sh inside a test node's network namespace (the node's own iptables). */
export async function nodeFirewall(node: ClusterNode, ...args: string[]): Promise<string> {
  const firewall = new URL('../../scripts/node-firewall.sh', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)('nsenter', [`--net=/var/run/netns/berth-sw${node.index}`, 'bash', firewall, ...args], { timeout: 30_000 });
  return stdout;
}
