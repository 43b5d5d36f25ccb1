import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseClient {
  status: number;
  /** Every event received so far, in order. */
  events: EventSourceMessage[];
  /** Bytes of body received so far. */
  bytes: number;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Waits until an event satisfies `ok` (scanning from `from`), or throws after the timeout. */
  next(ok: (e: EventSourceMessage) => boolean, timeoutMs: number, from?: number): Promise<EventSourceMessage>;
  close(): void;
}

/** A Server-Sent Events reader over fetch (bearer token in a header, which EventSource cannot send). */
export async function openSse(url: string, token: string | null): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({ onEvent: (e) => { events.push(e); for (const w of [...waiters]) w(); } });
  const client: SseClient = {
    status: res.status,
    events,
    bytes: 0,
    ended: Promise.resolve(),
    async next(ok, timeoutMs, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.slice(from).find(ok);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done(): void { clearTimeout(timer); waiters.delete(done); resolve(); }
          waiters.add(done);
        });
      }
    },
    close: () => abort.abort(),
  };
  if (!res.body) return client;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  client.ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        client.bytes += Buffer.byteLength(value);
        parser.feed(value);
      }
    } catch {
      // aborted by close()
    }
  })();
  return client;
}
