import { BerthError } from '../../common/errors.js';
import type { ContainerState } from '../runtime-driver.js';
import type { RawNode, RawService, RawTask } from './swarm-types.js';

/** Task states before `running`: the task is on its way (scheduling, pulling, starting). */
const ON_THE_WAY = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

export function replicasOf(service: RawService): number {
  return service.Spec.Mode?.Replicated?.Replicas ?? 0;
}

function order(task: RawTask): number {
  return task.Version?.Index ?? Date.parse(task.CreatedAt ?? '') ?? 0;
}

/** The task that stands for the service now: the newest one meant to run, else the newest. */
export function currentTask(tasks: RawTask[]): RawTask | undefined {
  const newest = (list: RawTask[]): RawTask | undefined => list.reduce<RawTask | undefined>((best, t) => (!best || order(t) > order(best) ? t : best), undefined);
  return newest(tasks.filter((t) => t.DesiredState === 'running')) ?? newest(tasks);
}

/**
 * A one-replica service seen as one container. A task whose node is down counts as exited:
 * Swarm keeps reporting it `running` because the dead node cannot say otherwise.
 */
export function stateOf(service: RawService, task: RawTask | undefined, nodeReady: boolean): ContainerState {
  if (!task) return replicasOf(service) > 0 ? 'restarting' : 'created';
  const observed = task.Status.State;
  if (observed === 'running') return nodeReady ? 'running' : 'exited';
  if (ON_THE_WAY.has(observed)) return task.DesiredState === 'running' && nodeReady !== false ? 'restarting' : 'exited';
  return 'exited';
}

export function exitCodeOf(task: RawTask | undefined, state: ContainerState): number | null {
  if (!task || state !== 'exited') return null;
  return task.Status.ContainerStatus?.ExitCode ?? null;
}

/**
 * The task's process ran and then ended (exit 0 → `complete`; any other code → `failed` with
 * swarmkit's "task: non-zero exit (N)"), as opposed to a task that never started (rejected,
 * no such image, no node). A start that ended this way still started.
 */
export function ranAndEnded(task: RawTask | undefined): boolean {
  if (!task) return false;
  if (task.Status.State === 'complete') return true;
  return task.Status.State === 'failed' && /^task: non-zero exit \(\d+\)$/.test(task.Status.Err?.trim() ?? '');
}

/** Why a task does not run, in Swarm's words (e.g. "no suitable node …"), or null. */
export function taskProblem(task: RawTask | undefined): string | null {
  if (!task) return null;
  const err = task.Status.Err?.trim();
  if (err) return err;
  if (task.Status.State === 'pending' && task.Status.Message) return task.Status.Message;
  return null;
}

interface Constraint {
  key: string;
  equal: boolean;
  value: string;
}

const CONSTRAINT = /^\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*(\S.*?)\s*$/;
const KEYS = /^(node\.id|node\.hostname|node\.role|node\.platform\.os|node\.platform\.arch|node\.labels\.[A-Za-z0-9_.-]+|engine\.labels\.[A-Za-z0-9_.-]+)$/;

/** Parses Swarm placement constraints; a malformed one is a 400 naming its index. */
export function parseConstraints(constraints: string[], field = 'placement.constraints'): Constraint[] {
  return constraints.map((text, i) => {
    const m = CONSTRAINT.exec(text);
    if (!m || !KEYS.test(m[1]!)) {
      throw new BerthError('INVALID_INPUT', `${field}.${i} = ${JSON.stringify(text)}: expected <key>==<value> or <key>!=<value> with key node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>`, { field: `${field}.${i}` });
    }
    return { key: m[1]!, equal: m[2] === '==', value: m[3]! };
  });
}

function nodeValue(node: RawNode, key: string): string | undefined {
  if (key === 'node.id') return node.ID;
  if (key === 'node.hostname') return node.Description?.Hostname;
  if (key === 'node.role') return node.Spec.Role;
  if (key === 'node.platform.os') return node.Description?.Platform?.OS;
  if (key === 'node.platform.arch') return node.Description?.Platform?.Architecture;
  if (key.startsWith('node.labels.')) return node.Spec.Labels?.[key.slice('node.labels.'.length)];
  return node.Description?.Engine?.Labels?.[key.slice('engine.labels.'.length)];
}

/** Whether a node matches every constraint (Swarm's rule: values compare case-insensitively). */
export function nodeMatches(node: RawNode, constraints: Constraint[]): boolean {
  return constraints.every((c) => {
    const actual = nodeValue(node, c.key);
    const same = actual !== undefined && actual.toLowerCase() === c.value.toLowerCase();
    return c.equal ? same : !same;
  });
}

export function nodeCanRun(node: RawNode): boolean {
  return node.Status?.State === 'ready' && node.Spec.Availability === 'active';
}
