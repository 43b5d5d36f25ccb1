import type { ApiClient } from './api-client.js';
import type { ClusterNode } from './api-types.js';
import type { Check } from './doctor-checks.js';
import { CliError } from './exit-codes.js';

type NodeView = ClusterNode;

/**
 * The cluster as the daemon sees it (runtime.driver swarm): the manager answers, nodes are
 * ready, and berth reaches each worker's engine for exec jobs and stats. Nothing on one host.
 */
export async function clusterChecks(client: ApiClient): Promise<Check[]> {
  let nodes: NodeView[];
  try {
    nodes = (await client.get<{ items: NodeView[] }>('/v1/nodes')).items;
  } catch (error) {
    if (error instanceof CliError && error.apiCode === 'INVALID_STATE') return [];
    return [{ name: 'swarm', status: 'fail', detail: `the daemon cannot list the swarm's nodes: ${(error as Error).message}`, fix: 'check that docker.host is a Swarm manager (`docker node ls` there) and that doctor runs with an admin token' }];
  }
  const checks: Check[] = [{ name: 'swarm', status: 'ok', detail: `manager reachable; ${nodes.length} nodes` }];
  const notReady = nodes.filter((n) => n.state !== 'ready');
  checks.push(notReady.length === 0
    ? { name: 'nodes', status: 'ok', detail: `${nodes.length} ready (${nodes.filter((n) => n.availability === 'active').length} active)` }
    : { name: 'nodes', status: 'warn', detail: `not ready: ${notReady.map((n) => `${n.hostname} (${n.state})`).join(', ')}`, fix: 'start the engine on those nodes; berth restarts their instances elsewhere meanwhile' });
  const workers = nodes.filter((n) => n.availability !== 'drain' || n.role === 'worker');
  const unreachable = workers.filter((n) => n.engine !== 'reachable');
  checks.push(unreachable.length === 0
    ? { name: 'node engines', status: 'ok', detail: `berth reaches the engine of ${workers.map((n) => n.hostname).join(', ') || 'no node'} (exec jobs, stats)` }
    : { name: 'node engines', status: 'warn', detail: unreachable.map((n) => `${n.hostname}: ${n.engine}`).join(', '), fix: 'add each node to swarm.nodeEngines (hostname: tcp://… or unix://…) so exec jobs and stats reach its instances' });
  checks.push(noNewPrivilegesCheck(nodes.filter((n) => n.role === 'worker' || n.availability !== 'drain')));
  return checks;
}

/**
 * The Swarm service API (Engine 20.10, API 1.41) cannot ask for no-new-privileges per
 * service: it holds only where each node's dockerd sets it for every container. berth
 * measures it in a running instance per node; anything short of "enforced" everywhere warns.
 */
export function noNewPrivilegesCheck(nodes: Array<Pick<NodeView, 'hostname' | 'noNewPrivileges'>>): Check {
  const fix = 'start dockerd on every node with --no-new-privileges (daemon.json: "no-new-privileges": true) and restart it; Swarm services cannot set it themselves';
  const off = nodes.filter((n) => n.noNewPrivileges === 'off').map((n) => n.hostname);
  const unknown = nodes.filter((n) => n.noNewPrivileges !== 'off' && n.noNewPrivileges !== 'enforced').map((n) => n.hostname);
  if (off.length) return { name: 'no-new-privileges', status: 'warn', detail: `tasks run without no-new-privileges on ${off.join(', ')}${unknown.length ? `; not measured on ${unknown.join(', ')}` : ''}`, fix };
  if (unknown.length) return { name: 'no-new-privileges', status: 'warn', detail: `not measured on ${unknown.join(', ')} (no running instance there, or no engine in swarm.nodeEngines); the service API cannot set it`, fix };
  return { name: 'no-new-privileges', status: 'ok', detail: `measured in a running instance on ${nodes.map((n) => n.hostname).join(', ') || 'no node'}: set by each node's engine` };
}
