import { describe, expect, it } from 'vitest';
import { currentTask, exitCodeOf, nodeCanRun, nodeMatches, parseConstraints, ranAndEnded, stateOf } from './swarm-state.js';
import type { RawNode, RawService, RawTask } from './swarm-types.js';

const service = (replicas: number): RawService => ({ ID: 's', Version: { Index: 1 }, Spec: { Name: 'x', Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: {} } });
const task = (id: string, index: number, state: string, desired = 'running', exitCode?: number): RawTask => ({
  ID: id, ServiceID: 's', NodeID: 'n1', Version: { Index: index }, DesiredState: desired,
  Status: { State: state, ...(exitCode === undefined ? {} : { ContainerStatus: { ExitCode: exitCode } }) },
});
const node = (labels: Record<string, string>, state = 'ready', availability = 'active'): RawNode => ({
  ID: 'n1', Version: { Index: 1 }, Spec: { Role: 'worker', Availability: availability, Labels: labels },
  Description: { Hostname: 'worker-1', Platform: { OS: 'linux', Architecture: 'x86_64' } }, Status: { State: state },
});

describe('a one-replica service seen as one container', () => {
  it('picks the newest task meant to run, else the newest', () => {
    expect(currentTask([task('a', 5, 'running', 'shutdown'), task('b', 3, 'running')])?.ID).toBe('b');
    expect(currentTask([task('a', 5, 'shutdown', 'shutdown'), task('b', 3, 'complete', 'shutdown')])?.ID).toBe('a');
    expect(currentTask([])).toBeUndefined();
  });

  it('maps task states: running only on a ready node; on the way → restarting; ended → exited with its code', () => {
    expect(stateOf(service(1), task('a', 1, 'running'), true)).toBe('running');
    expect(stateOf(service(1), task('a', 1, 'running'), false)).toBe('exited');
    expect(stateOf(service(1), task('a', 1, 'preparing'), true)).toBe('restarting');
    expect(stateOf(service(1), task('a', 1, 'pending', 'shutdown'), true)).toBe('exited');
    const failed = task('a', 1, 'failed', 'shutdown', 3);
    expect(stateOf(service(1), failed, true)).toBe('exited');
    expect(exitCodeOf(failed, 'exited')).toBe(3);
    expect(stateOf(service(0), undefined, true)).toBe('created');
    expect(stateOf(service(1), undefined, true)).toBe('restarting');
  });

  it('tells a task that ran and ended (it did start) from one that never started', () => {
    const withErr = (state: string, err: string | undefined, exitCode?: number): RawTask => {
      const t = task('a', 1, state, 'running', exitCode);
      return { ...t, Status: { ...t.Status, ...(err === undefined ? {} : { Err: err }) } };
    };
    expect(ranAndEnded(withErr('failed', 'task: non-zero exit (3)', 3))).toBe(true);
    expect(ranAndEnded(withErr('complete', undefined, 0))).toBe(true);
    expect(ranAndEnded(withErr('rejected', 'No such image: berth/missing:1'))).toBe(false);
    expect(ranAndEnded(withErr('failed', 'starting container failed: OCI runtime create failed', 128))).toBe(false);
    expect(ranAndEnded(withErr('running', undefined))).toBe(false);
    expect(ranAndEnded(undefined)).toBe(false);
  });
});

describe('placement constraints', () => {
  it('parses == and != on the keys Swarm knows, and refuses anything else naming the index', () => {
    expect(parseConstraints(['node.labels.gpu==true', 'node.role != manager'])).toEqual([
      { key: 'node.labels.gpu', equal: true, value: 'true' },
      { key: 'node.role', equal: false, value: 'manager' },
    ]);
    expect(() => parseConstraints(['node.labels.gpu=true'])).toThrow(/placement\.constraints\.0/);
    expect(() => parseConstraints(['node.colour==red'])).toThrow(/expected <key>==<value>/);
  });

  it('matches nodes like Swarm does (labels, hostname, role, platform; case-insensitive values)', () => {
    const n = node({ gpu: 'TRUE', zone: 'a' });
    expect(nodeMatches(n, parseConstraints(['node.labels.gpu==true', 'node.hostname==worker-1', 'node.platform.os==linux']))).toBe(true);
    expect(nodeMatches(n, parseConstraints(['node.labels.zone!=a']))).toBe(false);
    expect(nodeMatches(n, parseConstraints(['node.labels.missing!=x']))).toBe(true);
    expect(nodeMatches(n, parseConstraints(['node.labels.missing==x']))).toBe(false);
  });

  it('only ready, active nodes can take tasks', () => {
    expect(nodeCanRun(node({}))).toBe(true);
    expect(nodeCanRun(node({}, 'down'))).toBe(false);
    expect(nodeCanRun(node({}, 'ready', 'drain'))).toBe(false);
  });
});
