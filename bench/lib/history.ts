import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** One bench run, as kept in bench/history.jsonl (committed, one line per run, so review sees the trend). */
export interface HistoryEntry {
  runId: string;
  mode: string;
  startedAt: string;
  /** 1-minute load average at the end of the run: figures from a busy machine are rough. */
  loadAvg: number;
  metrics: Record<string, number>;
}

/** Keys that name a row of a table (a side, a scenario label, a URL…), used as a path segment. */
const ROW_KEYS = ['side', 'label', 'name', 'url', 'scenario', 'target', 'level', 'n', 'count'];

/**
 * Every number in the sections' data, by path: `section.row.field`. Array rows are named by
 * their first labelling key (side, label, …) or their index.
 */
export function flatten(sections: ReadonlyArray<{ id: string; data: unknown }>): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number' && Number.isFinite(value)) {
      out[path] = value;
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const key = item && typeof item === 'object' ? ROW_KEYS.find((k) => typeof (item as Record<string, unknown>)[k] === 'string' || typeof (item as Record<string, unknown>)[k] === 'number') : undefined;
        walk(item, `${path}.${key ? String((item as Record<string, unknown>)[key]) : i}`);
      });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    }
  };
  for (const s of sections) walk(s.data, s.id);
  return out;
}

export function appendHistory(file: string, entry: HistoryEntry): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

export function readHistory(file: string): HistoryEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as HistoryEntry];
    } catch {
      return [];
    }
  });
}

export function loadAvg(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

/** Whether a larger value of this metric is better (throughput), judged by its name. */
export function higherIsBetter(path: string): boolean {
  return /(rps|persec|persecond|per_sec|requests|throughput|reqs|ops)$/i.test(path.split('.').at(-1) ?? '');
}

export interface Change {
  metric: string;
  before: number;
  now: number;
  /** now / before. */
  ratio: number;
  /** true when the change is in the bad direction by more than `threshold`. */
  worse: boolean;
}

/** Metrics present in both runs, biggest relative change first. */
export function compare(before: Record<string, number>, now: Record<string, number>, threshold = 1.2): Change[] {
  const changes: Change[] = [];
  for (const [metric, b] of Object.entries(before)) {
    const n = now[metric];
    if (n === undefined || b === 0) continue;
    const ratio = n / b;
    const bad = higherIsBetter(metric) ? 1 / ratio : ratio;
    changes.push({ metric, before: b, now: n, ratio, worse: bad > threshold });
  }
  return changes.sort((x, y) => Math.abs(Math.log(y.ratio)) - Math.abs(Math.log(x.ratio)));
}
