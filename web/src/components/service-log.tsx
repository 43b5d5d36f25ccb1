import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf, rawFetch, toApiError } from '../api/client';

interface Line { time?: string; text: string }

/**
 * The tail of one service's s6-log file, read again every 2 s while shown (a tail is a small,
 * bounded read; s6-log rotates the file, which a held-open follow would have to chase).
 */
export function ServiceLog({ instance, service }: { instance: string; service: string }) {
  const [tail, setTail] = useState(100);
  const [lines, setLines] = useState<Line[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let stopped = false;
    setLines(null);
    setNote(null);
    const load = async (): Promise<void> => {
      try {
        const res = await rawFetch(`/v1/instances/${encodeURIComponent(instance)}/services/${encodeURIComponent(service)}/logs?format=ndjson&tail=${tail}`);
        const text = await res.text();
        if (!res.ok) throw toApiError(res.status, text ? JSON.parse(text) : null);
        if (stopped) return;
        setLines(text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line));
        setNote(null);
      } catch (e) {
        if (stopped) return;
        setNote(e instanceof ApiError && e.code === 'SERVICE_LOG_NOT_FOUND' ? `${service} does not log through s6-log: its output goes to the container's log above.` : messageOf(e));
        setLines([]);
      }
    };
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => { stopped = true; clearInterval(timer); };
  }, [instance, service, tail]);

  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <div class="service-log">
      <div class="head">
        <h3 id="service-log-title">Log of {service}</h3>
        <label for="service-log-tail">Tail
          <select id="service-log-tail" value={String(tail)} onChange={(e) => setTail(Number((e.target as HTMLSelectElement).value))}>
            {[20, 100, 500].map((t) => <option key={t} value={t}>{t} lines</option>)}
          </select>
        </label>
      </div>
      {note && <p class="muted" role="status">{note}</p>}
      <pre ref={box} class="logs short" tabIndex={0} aria-labelledby="service-log-title" data-testid="service-log">
        {lines === null ? <span class="muted">loading…</span>
          : lines.length === 0 ? <span class="muted">no lines</span>
            : lines.map((l, n) => <div key={n}>{l.time ? <span class="muted">{l.time.slice(11, 19)} </span> : null}{l.text}</div>)}
      </pre>
    </div>
  );
}
