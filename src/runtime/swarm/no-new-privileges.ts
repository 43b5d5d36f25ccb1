import type { DockerDriver } from '../docker/docker-driver.js';
import type { NodeInfo } from '../cluster-nodes.js';

const CACHE_MS = 5 * 60_000;

/**
 * Whether a node's engine runs tasks with no-new-privileges. The service API of Engine 20.10
 * (API 1.41) cannot ask for it per service, so it holds only where the node's dockerd sets it
 * for every container (`--no-new-privileges`, daemon.json `"no-new-privileges": true`). The
 * engine reports that setting nowhere, so berth measures it: the `NoNewPrivs` line of PID 1's
 * status in one of its running tasks on that node (cached; `unknown` when none runs or the
 * image has no `cat`).
 */
export class NoNewPrivilegesProbe {
  private readonly cache = new Map<string, { at: number; value: NonNullable<NodeInfo['noNewPrivileges']> }>();

  constructor(private readonly engines: Map<string, DockerDriver>) {}

  async of(hostname: string, instanceLabels: Record<string, string>): Promise<NodeInfo['noNewPrivileges']> {
    const engine = this.engines.get(hostname);
    if (!engine) return null;
    const cached = this.cache.get(hostname);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
    const value = await measure(engine, instanceLabels).catch(() => 'unknown' as const);
    if (value !== 'unknown') this.cache.set(hostname, { at: Date.now(), value });
    return value;
  }
}

async function measure(engine: DockerDriver, instanceLabels: Record<string, string>): Promise<'enforced' | 'off' | 'unknown'> {
  const [task] = await engine.listContainers({ labels: instanceLabels, all: false });
  if (!task) return 'unknown';
  const res = await engine.exec(task.id, ['cat', '/proc/1/status'], { timeoutMs: 5000, outputLimitBytes: 16_384 });
  return res.exitCode === 0 ? noNewPrivsOf(res.output) : 'unknown';
}

/** The NoNewPrivs line of a /proc/<pid>/status text. */
export function noNewPrivsOf(status: string): 'enforced' | 'off' | 'unknown' {
  const line = /^NoNewPrivs:\s*([01])\s*$/m.exec(status);
  if (!line) return 'unknown';
  return line[1] === '1' ? 'enforced' : 'off';
}
