import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, rawFetch, toApiError, type Instance } from '../api/client';

export interface FleetPerf {
  /** ms from page start to the first rendered list. */
  firstRenderMs?: number;
  /** One entry per poll: HTTP status, bytes of body, ms from request to rendered (or to the 304), ms from parsed body to rendered. */
  polls: Array<{ status: number; bytes: number; ms: number; renderMs?: number }>;
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
  const pending = useRef<{ start: number; parsed: number; status: number; bytes: number } | null>(null);
  const perf = useRef<FleetPerf>({ polls: [] });

  useEffect(() => {
    window.__berthFleetPerf = perf.current;
    let etag: string | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      const start = performance.now();
      try {
        const res = await rawFetch('/v1/instances?limit=1000', { headers: etag ? { 'if-none-match': etag } : {} });
        if (res.status === 304) {
          perf.current.polls.push({ status: 304, bytes: 0, ms: performance.now() - start });
        } else {
          const text = await res.text();
          const body: unknown = text ? JSON.parse(text) : null;
          if (!res.ok) throw toApiError(res.status, body);
          etag = res.headers.get('etag');
          pending.current = { start, parsed: performance.now(), status: res.status, bytes: text.length };
          setItems((body as { items: Instance[] }).items);
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
    perf.current.polls.push({ status: p.status, bytes: p.bytes, ms: now - p.start, renderMs: now - p.parsed });
  };
  return { items, error, rendered };
}
