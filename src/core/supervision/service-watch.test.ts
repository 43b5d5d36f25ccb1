import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { AppendEvent } from '../events/event-log.js';
import type { ScannedService } from './s6-scan-dir.js';
import { ServiceWatch, type WatchedInstance } from './service-watch.js';
import type { SupervisorLocator } from './supervisor-locator.js';

const svc = (name: string, up: boolean, changedAt: number, exitCode: number | null = null): ScannedService => ({
  name, state: up ? 'up' : 'down', wantUp: true, ready: false, paused: false, pid: up ? 100 : null, uptimeSeconds: 0,
  exitCode: up ? null : exitCode, signal: null, normallyUp: true, raw: up ? 'up' : `down (exitcode ${exitCode})`, changedAt,
});

function setup(instances: WatchedInstance[]) {
  const states = new Map<string, ScannedService[] | 'none'>();
  const events: AppendEvent[] = [];
  /** Which instances the watch looked at (each look is an engine inspect at least). */
  const looked: string[] = [];
  const locator = {
    async locate(target: { instanceId: string | null }) {
      looked.push(target.instanceId ?? '');
      const s = states.get(target.instanceId ?? '');
      if (!s || s === 'none') throw new BerthError('NO_SUPERVISOR', 'no s6');
      return { containerId: 'c', engineState: 'running', scanDir: '/run/service', services: s };
    },
  } as unknown as SupervisorLocator;
  const watch = new ServiceWatch({
    instances: async () => instances, locator, preferredScanDir: () => null, events: { record: (...e) => events.push(...e) },
    clock: new ManualClock(0), logger: createLogger('silent'), intervalMs: 1000, concurrency: 2,
  });
  return { watch, states, events, looked };
}

const inst = (id: string, over: Partial<WatchedInstance> = {}): WatchedInstance => ({
  id, name: id, tenant: 't', plan: 'starter', containerId: `c-${id}`, status: 'running', startedAt: '2026-11-30T00:00:00.000Z', health: '{}', scanDir: null, ...over,
});

describe('ServiceWatch', () => {
  it('records service-down and service-up for non-critical services, not the first sight, not critical ones', async () => {
    const { watch, states, events } = setup([inst('a', { health: '{"services":["gw"]}' }), inst('plain')]);
    states.set('plain', 'none');
    states.set('a', [svc('gw', true, 1), svc('worker', true, 1)]);
    await watch.round();
    expect(events).toEqual([]);
    states.set('a', [svc('gw', false, 2, 1), svc('worker', false, 2, 3)]);
    await watch.round();
    expect(events.map((e) => [e.type, e.data?.service, e.data?.exitCode])).toEqual([['service-down', 'worker', 3]]);
    states.set('a', [svc('gw', true, 3), svc('worker', true, 3)]);
    await watch.round();
    expect(events.map((e) => e.type)).toEqual(['service-down', 'service-up']);
  });

  it('at the first look, a service s6 wants up that is down after a failure is reported; one never run, exited 0 or wanted down is not', async () => {
    const { watch, states, events } = setup([inst('a')]);
    const wantedDown: ScannedService = { ...svc('stopped', false, 1, 1), wantUp: false };
    const signalled: ScannedService = { ...svc('killed', false, 1), signal: 'SIGKILL' };
    states.set('a', [svc('crashing', false, 1, 3), signalled, svc('never', false, 1), svc('done', false, 1, 0), wantedDown, svc('fine', true, 1)]);
    await watch.round();
    expect(events.map((e) => [e.type, e.data?.service, e.data?.firstLook])).toEqual([['service-down', 'crashing', true], ['service-down', 'killed', true]]);
    events.length = 0;
    // Still down at the next look: not reported again.
    await watch.round();
    expect(events).toEqual([]);
    states.set('a', [svc('crashing', true, 2), signalled, svc('never', false, 1), svc('done', false, 1, 0), wantedDown, svc('fine', true, 1)]);
    await watch.round();
    expect(events.map((e) => [e.type, e.data?.service])).toEqual([['service-up', 'crashing']]);
  });

  it('a restart between two reads is both events; a state an action left is not reported again; a new container is a new baseline', async () => {
    const instances = [inst('a')];
    const { watch, states, events } = setup(instances);
    states.set('a', [svc('worker', true, 1)]);
    await watch.round();
    states.set('a', [svc('worker', true, 5)]);
    await watch.round();
    expect(events.map((e) => [e.type, e.data?.missed ?? false])).toEqual([['service-down', true], ['service-up', false]]);
    events.length = 0;
    states.set('a', [svc('worker', false, 6, 0)]);
    watch.note('a', 'worker', { up: false, changedAt: 6 });
    await watch.round();
    expect(events).toEqual([]);
    instances[0] = inst('a', { containerId: 'c-new' });
    states.set('a', [svc('worker', true, 7)]);
    await watch.round();
    expect(events).toEqual([]);
  });

  it('an instance found without s6 is not looked at again for the same start, but after a new start or ten rounds', async () => {
    const instances = [inst('plain'), inst('s6')];
    const { watch, states, looked } = setup(instances);
    states.set('plain', 'none');
    states.set('s6', [svc('worker', true, 1)]);
    await watch.round();
    await watch.round();
    expect(looked.filter((id) => id === 'plain')).toHaveLength(1);
    expect(looked.filter((id) => id === 's6')).toHaveLength(2);
    // Started again by berth: its image is looked at afresh (and now it runs s6).
    instances[0] = inst('plain', { startedAt: '2026-11-30T01:00:00.000Z' });
    states.set('plain', [svc('worker', true, 1)]);
    await watch.round();
    await watch.round();
    expect(looked.filter((id) => id === 'plain')).toHaveLength(3);
    // Without s6 again (a new container): skipped, then looked at once more after ten rounds.
    instances[0] = inst('plain', { containerId: 'c-other' });
    states.set('plain', 'none');
    looked.length = 0;
    for (let i = 0; i < 10; i++) await watch.round();
    expect(looked.filter((id) => id === 'plain')).toHaveLength(1);
    await watch.round();
    expect(looked.filter((id) => id === 'plain')).toHaveLength(2);
  });

  it('skips instances that are not running or have no container', async () => {
    const { watch, states, events } = setup([inst('s', { status: 'stopped' }), inst('n', { containerId: null })]);
    states.set('s', [svc('w', true, 1)]);
    await watch.round();
    states.set('s', [svc('w', false, 2)]);
    await watch.round();
    expect(events).toEqual([]);
  });
});
