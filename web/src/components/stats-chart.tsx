import { useEffect, useState } from 'preact/hooks';
import { rawFetch } from '../api/client';

interface Sample { at: number; cpu: number; mem: number; memLimit: number; rx: number; tx: number }
const WINDOW_MS = 5 * 60_000;
const EVERY_MS = 3000;

function Line({ values, max, label, color }: { values: Array<[number, number]>; max: number; label: string; color: string }) {
  const w = 300;
  const h = 60;
  const now = Date.now();
  const pts = values.map(([t, v]) => `${(((t - (now - WINDOW_MS)) / WINDOW_MS) * w).toFixed(1)},${(h - (max > 0 ? v / max : 0) * h).toFixed(1)}`).join(' ');
  return (
    <svg viewBox={`0 0 ${w} ${h}`} class="spark" role="img" aria-label={label} preserveAspectRatio="none">
      <polyline points={pts} fill="none" stroke={color} stroke-width="1.5" vector-effect="non-scaling-stroke" />
    </svg>
  );
}

const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

/** CPU, memory and network over the last five minutes, sampled from …/stats while the page is open. */
export function StatsChart({ instance, live }: { instance: string; live: boolean }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!live) return;
    let stopped = false;
    const tick = async (): Promise<void> => {
      try {
        // disk=false: the chart has no disk figures, and measuring them walks every volume on the engine.
        const res = await rawFetch(`/v1/instances/${encodeURIComponent(instance)}/stats?disk=false`);
        const body = await res.json() as { cpuPercent: number; memoryBytes: number; memoryLimitBytes: number; networkRxBytes: number; networkTxBytes: number; error?: { message: string } };
        if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
        const at = Date.now();
        if (!stopped) {
          setError(null);
          setSamples((old) => [...old.filter((s) => s.at > at - WINDOW_MS), { at, cpu: body.cpuPercent, mem: body.memoryBytes, memLimit: body.memoryLimitBytes, rx: body.networkRxBytes, tx: body.networkTxBytes }]);
        }
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), EVERY_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [instance, live]);

  const last = samples[samples.length - 1];
  const rates = samples.slice(1).map((s, i) => [s.at, Math.max(0, (s.rx + s.tx - samples[i]!.rx - samples[i]!.tx) / ((s.at - samples[i]!.at) / 1000))] as [number, number]);
  return (
    <section aria-labelledby="stats-title" class="card">
      <h2 id="stats-title">Resources (last 5 minutes)</h2>
      {!live ? <p class="muted">Not running: no live figures.</p> : error ? <p class="error">{error}</p> : !last ? <p class="muted" role="status">sampling…</p> : (
        <div class="charts">
          <figure><figcaption>CPU {last.cpu.toFixed(1)}%</figcaption><Line values={samples.map((s) => [s.at, s.cpu])} max={Math.max(100, ...samples.map((s) => s.cpu))} label="CPU percent over time" color="#2563eb" /></figure>
          <figure><figcaption>Memory {mib(last.mem)} of {mib(last.memLimit)}</figcaption><Line values={samples.map((s) => [s.at, s.mem])} max={last.memLimit} label="Memory over time" color="#7c3aed" /></figure>
          <figure><figcaption>Network {rates.length ? `${(rates[rates.length - 1]![1] / 1024).toFixed(1)} KiB/s` : '…'}</figcaption><Line values={rates} max={Math.max(1024, ...rates.map((r) => r[1]))} label="Network bytes per second over time" color="#059669" /></figure>
        </div>
      )}
    </section>
  );
}
