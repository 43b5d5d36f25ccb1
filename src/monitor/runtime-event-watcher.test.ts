import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import type { RuntimeDriver, RuntimeEvent } from '../runtime/runtime-driver.js';
import { RuntimeEventWatcher } from './runtime-event-watcher.js';

const event = (containerId: string, at: number): RuntimeEvent => ({ type: 'die', containerId, labels: {}, exitCode: 0, at });

/** An engine whose event stream yields `script` once, then stays open until aborted. */
function engineSending(script: RuntimeEvent[]): RuntimeDriver {
  return {
    ping: async () => ({ engine: 'test', version: '1', apiVersion: '1.41' }),
    async *events(_labels: Record<string, string>, signal: AbortSignal) {
      yield* script;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  } as unknown as RuntimeDriver;
}

async function delivered(script: RuntimeEvent[]): Promise<string[]> {
  const seen: string[] = [];
  const watcher = new RuntimeEventWatcher({
    runtime: engineSending(script), scope: 'test', clock: systemClock, logger: createLogger('silent'),
    onEvent: (e) => seen.push(e.containerId), onConnected: () => undefined, onDisconnected: () => undefined, report: () => undefined,
  });
  watcher.start();
  for (let i = 0; i < 100 && seen.length < script.length; i++) await new Promise((r) => setTimeout(r, 5));
  await watcher.stop();
  return seen;
}

describe('RuntimeEventWatcher', () => {
  it('passes each event on once when the engine sends some again (Podman replays its event log when it rotates)', async () => {
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    const seen = await delivered([
      event('old', hourAgo), event('a', now - 2000), event('b', now),
      // Rotation: the retained half of the log again, oldest first, then new events.
      event('old', hourAgo), event('a', now - 2000), event('b', now),
      event('c', now + 100),
    ]);
    expect(seen).toEqual(['old', 'a', 'b', 'c']);
  });
});
