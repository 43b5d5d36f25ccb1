import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Instance } from '../api/client';
import { FleetPager } from './fleet-pages';
import { streamFleet } from './fleet-stream';

export type LiveMode = 'sse' | 'poll';

export interface FleetPerf {
  /** How this tab gets live updates (after any fallback). */
  mode?: LiveMode;
  /** ms from page start to the first rendered list. */
  firstRenderMs?: number;
  /**
   * One entry per update. Polling: 200 (something changed) or 304 (every page unchanged), bytes of
   * body, ms from request to rendered (or to the 304), pages read. Stream: 200 per event, bytes of
   * its data, ms from arrival to rendered. renderMs: from parsed to rendered.
   */
  polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number; pages?: number }>;
}

declare global { interface Window { __berthFleetPerf?: FleetPerf } }

const INTERVAL_MS = 2000;
/** sessionStorage key that forces a mode for this tab ('poll' or 'sse'); the default is the stream. */
const MODE_KEY = 'berth.live';

/** Polls the list (every page) with ETags every 2 s: unchanged pages cost a 304 and no rendering. */
function pollFleet(cb: { items(list: Instance[], bytes: number, start: number, pages: number): void; unchanged(ms: number, pages: number): void; error(message: string | null): void }): () => void {
  const pager = new FleetPager();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = async (): Promise<void> => {
    const start = performance.now();
    try {
      const read = await pager.read();
      if (stopped) return;
      if (read.changed) cb.items(read.items, read.bytes, start, read.pages);
      else cb.unchanged(performance.now() - start, read.pages);
      cb.error(null);
    } catch (e) {
      cb.error(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    }
    if (!stopped) timer = setTimeout(() => void poll(), INTERVAL_MS);
  };
  void poll();
  return () => { stopped = true; clearTimeout(timer); };
}

/**
 * The live fleet: the Server-Sent Events stream (a snapshot, then only changes) by default;
 * polling with ETags where the stream is not available (an older berth, or the token's stream
 * cap reached) or when the tab asks for it. The measurements behind the default are in the README.
 */
export function useFleet(): { items: Instance[] | null; error: string | null; rendered: () => void } {
  const [items, setItems] = useState<Instance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<{ start: number; parsed: number; status: number; bytes: number; pages?: number } | null>(null);
  const perf = useRef<FleetPerf>({ polls: [] });

  useEffect(() => {
    window.__berthFleetPerf = perf.current;
    let stop: () => void = () => undefined;
    const polling = (): void => {
      perf.current.mode = 'poll';
      stop = pollFleet({
        items: (list, bytes, start, pages) => {
          pending.current = { start, parsed: performance.now(), status: 200, bytes, pages };
          setItems(list);
        },
        unchanged: (ms, pages) => { perf.current.polls.push({ status: 304, bytes: 0, ms, pages }); },
        error: setError,
      });
    };
    if (sessionStorage.getItem(MODE_KEY) === 'poll') {
      polling();
    } else {
      perf.current.mode = 'sse';
      stop = streamFleet({
        items: (list, bytes, received) => {
          pending.current = { start: received, parsed: performance.now(), status: 200, bytes };
          setItems(list);
        },
        error: setError,
        unavailable: () => { stop(); polling(); },
      });
    }
    return () => stop();
  }, []);

  /** Called by the view after it has committed a new list. */
  const rendered = (): void => {
    const p = pending.current;
    if (!p) return;
    pending.current = null;
    const now = performance.now();
    perf.current.firstRenderMs ??= now;
    perf.current.polls.push({ status: p.status, bytes: p.bytes, ms: now - p.start, renderMs: now - p.parsed, ...(p.pages !== undefined ? { pages: p.pages } : {}) });
  };
  return { items, error, rendered };
}
