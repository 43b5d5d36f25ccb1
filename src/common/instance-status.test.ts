import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, INSTANCE_STATUSES, legalSources, STATUS, transitionEvent, TRANSITIONS, type InstanceStatus } from './instance-status.js';

describe('instance status machine', () => {
  it('names every allowed transition with its event', () => {
    let walked = 0;
    for (const rule of TRANSITIONS) {
      for (const from of rule.from) {
        expect(transitionEvent(from, rule.to), `${from} → ${rule.to}`).toBe(rule.event);
        expect(legalSources('ins_x', [from], rule.to, 'throw', () => undefined)).toEqual([from]);
        walked++;
      }
    }
    expect(walked).toBeGreaterThan(50);
  });

  it('gives each (from, to) pair at most one event', () => {
    const seen = new Map<string, string>();
    for (const rule of TRANSITIONS) {
      for (const from of rule.from) {
        const key = `${from}>${rule.to}`;
        expect(seen.get(key), key).toBeUndefined();
        seen.set(key, rule.event);
      }
    }
  });

  const illegal: Array<[InstanceStatus, InstanceStatus]> = [
    ['deleting', 'starting'], ['deleting', 'running'], ['deleting', 'stopped'], ['deleting', 'creating'],
    ['running', 'creating'], ['stopped', 'creating'],
    ['creating', 'running'], ['creating', 'unhealthy'], ['creating', 'restarting'], ['creating', 'stopping'],
    ['stopped', 'running'], ['stopping', 'running'], ['failed', 'running'],
    ['stopping', 'restarting'], ['stopped', 'crashloop'], ['failed', 'restarting'],
    ['stopped', 'unhealthy'], ['unhealthy', 'unhealthy'], ['running', 'running'], ['stopped', 'stopped'], ['deleting', 'deleting'],
    // A rollout begins only from a (meant to be) running instance and ends healthy or launched again.
    ['creating', 'upgrading'], ['stopped', 'upgrading'], ['deleting', 'upgrading'], ['upgrading', 'upgrading'], ['upgrading', 'unhealthy'], ['upgrading', 'restarting'],
  ];

  it.each(illegal)('refuses %s → %s', (from, to) => {
    expect(transitionEvent(from, to)).toBeUndefined();
    expect(() => legalSources('ins_x', [from], to, 'throw', () => undefined)).toThrow(IllegalTransitionError);
    const reported: IllegalTransitionError[] = [];
    expect(legalSources('ins_x', [from], to, 'log', (e) => reported.push(e))).toEqual([]);
    expect(reported[0]?.message).toContain(`${from} → ${to}`);
  });

  it('keeps only the legal sources of a mixed condition when logging', () => {
    const reported: IllegalTransitionError[] = [];
    expect(legalSources('ins_x', ['running', 'stopped'], 'unhealthy', 'log', (e) => reported.push(e))).toEqual(['running']);
    expect(reported).toHaveLength(1);
  });

  it('builds named subsets from the one status list', () => {
    for (const subset of Object.values(STATUS)) for (const s of subset) expect(INSTANCE_STATUSES).toContain(s);
    expect(STATUS.actionable).not.toContain('creating');
    expect(STATUS.actionable).not.toContain('deleting');
    expect(STATUS.deletable).toHaveLength(INSTANCE_STATUSES.length - 1);
    // The monitor neither probes nor restarts an instance mid-rollout; start/stop/restart wait for it.
    expect(STATUS.monitored).not.toContain('upgrading');
    expect(STATUS.busy).toContain('upgrading');
    expect(transitionEvent('upgrading', 'running')).toBe('upgraded');
    expect(transitionEvent('upgrading', 'starting')).toBe('launched');
    expect(transitionEvent('running', 'upgrading')).toBe('upgrade-started');
  });

  it('reaches every status except creating from some other status', () => {
    for (const to of INSTANCE_STATUSES) {
      const reachable = INSTANCE_STATUSES.some((from) => from !== to && transitionEvent(from, to) !== undefined);
      expect(reachable, to).toBe(to !== 'creating');
    }
  });
});
