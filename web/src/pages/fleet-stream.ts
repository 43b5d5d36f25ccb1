import { createParser } from 'eventsource-parser';
import { messageOf, rawFetch, toApiError, type Instance } from '../api/client';

export interface FleetStreamCallbacks {
  /** The whole list after a snapshot or a change; `bytes` of the event's data; `received` its arrival (performance.now()). */
  items(list: Instance[], bytes: number, received: number): void;
  /** A connection problem (null once connected again); the last list stays shown. */
  error(message: string | null): void;
  /** The server has no stream for this tab (an older berth: 404; the token's stream cap: 429): poll instead. */
  unavailable(reason: string): void;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/**
 * The live fleet over GET /v1/events/stream (Server-Sent Events read with fetch, since
 * EventSource cannot send the bearer token): a snapshot, then changes merged into the list.
 * Reconnects when the stream ends (its maximum duration, a daemon restart). Returns the stop.
 */
export function streamFleet(cb: FleetStreamCallbacks): () => void {
  const abort = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let byId = new Map<string, Instance>();

  const connect = async (): Promise<'ended' | 'unavailable'> => {
    const res = await rawFetch('/v1/events/stream', { signal: abort.signal, headers: { accept: 'text/event-stream' } });
    if (!res.ok || !res.body) {
      const text = await res.text();
      const error = toApiError(res.status, text ? parse(text) : null);
      if (res.status === 404 || res.status === 429) {
        cb.unavailable(error.message);
        return 'unavailable';
      }
      throw error;
    }
    cb.error(null);
    const parser = createParser({
      onEvent: (e) => {
        const received = performance.now();
        if (e.event === 'snapshot') {
          const { items } = JSON.parse(e.data) as { items: Instance[] };
          byId = new Map(items.map((i) => [i.id, i]));
        } else if (e.event === 'changes') {
          const { upserts, removed } = JSON.parse(e.data) as { upserts: Instance[]; removed: string[] };
          for (const i of upserts) byId.set(i.id, i);
          for (const id of removed) byId.delete(id);
        } else {
          return;
        }
        cb.items([...byId.values()], e.data.length, received);
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      parser.feed(value);
    }
  };

  const loop = (): void => {
    connect().then((how) => {
      if (how === 'ended' && !abort.signal.aborted) retry = setTimeout(loop, 1000);
    }, (e: unknown) => {
      if (abort.signal.aborted) return;
      cb.error(messageOf(e));
      retry = setTimeout(loop, 2000);
    });
  };
  loop();
  return () => { abort.abort(); clearTimeout(retry); };
}
