import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { rawFetch, toApiError } from '../api/client';

interface Line { n: number; time?: string; text: string; stream?: string }
const KEEP = 2000;

/** Container logs streamed as NDJSON: follow, tail size, pause (lines are buffered) and search. */
export function LogsPanel({ instance }: { instance: string }) {
  const [tail, setTail] = useState(200);
  const [follow, setFollow] = useState(true);
  const [paused, setPaused] = useState(false);
  const [search, setSearch] = useState('');
  const [lines, setLines] = useState<Line[]>([]);
  const [state, setState] = useState<string>('connecting…');
  const buffer = useRef<Line[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let n = 0;
    buffer.current = [];
    setLines([]);
    setState(follow ? 'following' : 'loading');
    const flush = (): void => {
      if (pausedRef.current || buffer.current.length === 0) return;
      const add = buffer.current;
      buffer.current = [];
      setLines((old) => [...old, ...add].slice(-KEEP));
    };
    const timer = setInterval(flush, 250);
    // A container that is not there yet (creating) or was replaced (restart) ends or refuses the
    // stream: try again shortly, starting from the time of the last line seen.
    let since: string | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const stream = async (): Promise<void> => {
      const from = since ? `&since=${encodeURIComponent(since)}` : `&tail=${tail}`;
      const res = await rawFetch(`/v1/instances/${encodeURIComponent(instance)}/logs?format=ndjson${from}&follow=${follow}`, { signal: abort.signal });
      if (!res.ok || !res.body) {
        const text = await res.text();
        throw toApiError(res.status, text ? JSON.parse(text) : null);
      }
      setState(follow ? 'following' : 'loaded');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += value;
        const parts = rest.split('\n');
        rest = parts.pop() ?? '';
        for (const p of parts) {
          if (!p) continue;
          const l = JSON.parse(p) as Omit<Line, 'n'>;
          // Lines at or before the resume point were shown already.
          if (since && l.time && l.time <= since) continue;
          if (l.time) since = l.time;
          buffer.current.push({ ...l, n: n++ });
        }
      }
      flush();
    };
    const loop = (): void => {
      stream().then(() => {
        if (follow && !abort.signal.aborted) { setState('stream ended; reconnecting'); retry = setTimeout(loop, 2000); }
      }, (e: unknown) => {
        if (abort.signal.aborted) return;
        setState(`waiting: ${e instanceof Error ? e.message : String(e)}`);
        if (follow) retry = setTimeout(loop, 2000);
      });
    };
    loop();
    return () => { abort.abort(); clearInterval(timer); clearTimeout(retry); };
  }, [instance, tail, follow]);

  useEffect(() => {
    const el = box.current;
    if (el && !paused) el.scrollTop = el.scrollHeight;
  }, [lines, paused]);

  const q = search.trim().toLowerCase();
  const shown = useMemo(() => (q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines), [lines, q]);
  return (
    <section aria-labelledby="logs-title" class="card">
      <div class="head"><h2 id="logs-title">Logs</h2><span class="muted" role="status">{paused ? `paused (${buffer.current.length} buffered)` : state}</span></div>
      <div class="filters">
        <label for="log-tail">Tail
          <select id="log-tail" value={String(tail)} onChange={(e) => setTail(Number((e.target as HTMLSelectElement).value))}>
            {[50, 200, 1000].map((t) => <option key={t} value={t}>{t} lines</option>)}
          </select>
        </label>
        <label class="check"><input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> Follow</label>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>{paused ? 'Resume' : 'Pause'}</button>
        <label for="log-search">Search<input id="log-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} /></label>
      </div>
      <pre ref={box} class="logs" tabIndex={0} aria-label="Log lines" data-testid="logs">
        {shown.length === 0 ? <span class="muted">{q ? 'no line matches' : 'no lines yet'}</span>
          : shown.map((l) => <div key={l.n} class={l.stream === 'stderr' ? 'stderr' : undefined}>{l.time ? <span class="muted">{l.time.slice(11, 19)} </span> : null}{l.text}</div>)}
      </pre>
    </section>
  );
}
