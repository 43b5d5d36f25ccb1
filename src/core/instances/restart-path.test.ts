import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import type { AppendEvent } from '../events/event-log.js';
import { RestartPath, type RestartCause, type RestartRequest } from './restart-path.js';

function setup() {
  const clock = new ManualClock(1_000_000);
  const events: AppendEvent[] = [];
  const counted: RestartCause[] = [];
  const path = new RestartPath({ clock, events: { record: (...e) => events.push(...e) }, count: (cause) => counted.push(cause), remember: 2 });
  return { clock, events, counted, path };
}

const req = (containerId: string, cause: RestartCause = 'requested'): RestartRequest => ({
  instanceId: 'ins_1', instance: 'one', tenant: 't', containerId, cause, actor: 'admin',
});

describe('the restart path', () => {
  it('takes exits inside a restart for its own, not ones before or after it', async () => {
    const { clock, path } = setup();
    let during = false;
    await path.restart(req('c1'), {
      engine: async () => {
        clock.advance(500);
        during = path.causedByUs('c1', clock.now());
      },
      commit: async () => ({ message: 'restarted on request' }),
    });
    expect(during).toBe(true);
    expect(path.causedByUs('c1', 1_000_000 - 1)).toBe(false);
    expect(path.causedByUs('c1', 1_000_500)).toBe(true);
    expect(path.causedByUs('c1', 1_000_501)).toBe(false);
    expect(path.causedByUs('c2', 1_000_200)).toBe(false);
  });

  it('records one `restarted` event with its cause and counts it, once committed', async () => {
    const { events, counted, path } = setup();
    expect(await path.restart(req('c1', 'unhealthy'), { engine: async () => undefined, commit: async () => ({ message: 'back', data: { attempt: 2 } }) })).toBe(true);
    expect(events).toEqual([{ instanceId: 'ins_1', instance: 'one', tenant: 't', type: 'restarted', actor: 'admin', message: 'back', data: { cause: 'unhealthy', attempt: 2 } }]);
    expect(counted).toEqual(['unhealthy']);
  });

  it('records and counts nothing when the instance moved on, or the engine refused (the span still closes)', async () => {
    const { clock, events, counted, path } = setup();
    expect(await path.restart(req('c1'), { engine: async () => undefined, commit: async () => null })).toBe(false);
    const refused = path.restart(req('c2'), {
      engine: async () => {
        clock.advance(10);
        throw new Error('engine said no');
      },
      commit: async () => ({ message: 'never' }),
    });
    await expect(refused).rejects.toThrow('engine said no');
    expect(path.causedByUs('c2', clock.now() + 1)).toBe(false);
    expect(events).toEqual([]);
    expect(counted).toEqual([]);
  });

  it('remembers a bounded number of containers, forgetting the oldest', async () => {
    const { path } = setup();
    const quick = { engine: async () => undefined, commit: async () => ({ message: 'ok' }) };
    for (const id of ['a', 'b', 'c']) await path.restart(req(id), quick);
    expect(path.causedByUs('a', 1_000_000)).toBe(false);
    expect(path.causedByUs('c', 1_000_000)).toBe(true);
  });
});
