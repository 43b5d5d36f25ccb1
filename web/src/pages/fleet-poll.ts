import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Instance } from '../api/client';
import { FleetPager } from './fleet-pages';

export interface FleetPerf {
  /** ms from page start to the first rendered list. */
  firstRenderMs?: number;
  /** One entry per poll: 200 (something changed) or 304 (every page unchanged), bytes of body, ms from request to rendered (or to the 304), ms from parsed body to rendered, pages read. */
  polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number; pages?: number }>;
}

declare global { interface Window { __berthFleetPerf?: FleetPerf } }

const INTERVAL_MS = 2000;

/**
 * Live fleet by polling with ETags: unchanged lists cost a 304 and no rendering. Chosen over SSE
 * because it needs no new server state and survives proxies; the figures are in the README.
 */
export function useFleet(): { items: Instance[] | null; error: string | null; rendered: () => void } {
  const [items, setItems] = useState<Instance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<{ start: number; parsed: number; status: number; bytes: number; pages: number } | null>(null);
  const perf = useRef<FleetPerf>({ polls: [] });

  useEffect(() => {
    window.__berthFleetPerf = perf.current;
    const pager = new FleetPager();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      const start = performance.now();
      try {
        const read = await pager.read();
        if (stopped) return;
        if (!read.changed) {
          perf.current.polls.push({ status: 304, bytes: 0, ms: performance.now() - start, pages: read.pages });
        } else {
          pending.current = { start, parsed: performance.now(), status: 200, bytes: read.bytes, pages: read.pages };
          setItems(read.items);
        }
        setError(null);
      } catch (e) {
        setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), INTERVAL_MS);
    };
    void poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, []);

  /** Called by the view after it has committed a new list. */
  const rendered = (): void => {
    const p = pending.current;
    if (!p) return;
    pending.current = null;
    const now = performance.now();
    perf.current.firstRenderMs ??= now;
    perf.current.polls.push({ status: p.status, bytes: p.bytes, ms: now - p.start, renderMs: now - p.parsed, pages: p.pages });
  };
  return { items, error, rendered };
}
