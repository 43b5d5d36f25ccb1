import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import type { RuntimeDriver, RuntimeEvent } from '../runtime/runtime-driver.js';
import { REPLAY_SLACK_MS } from './replay-filter.js';
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
  it('drops events the engine sends again from far back (Podman replays its event log when it rotates)', async () => {
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    const seen = await delivered([
      event('a', now - 2000), event('b', now),
      // Rotation: the retained half of the log again, oldest first.
      event('old-1', hourAgo), event('old-2', hourAgo + 10), event('a', now - 2000 - REPLAY_SLACK_MS - 1),
      // The newest few again, exactly as first sent.
      event('b', now),
      event('c', now + 100),
    ]);
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
