import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryEntry } from './lib/history.js';
import { markdownTable, mib, ms, pct } from './lib/table.js';

/**
 * `npm run bench:curve`: the scale curve from bench/history.jsonl — for each population size
 * the newest run measured (probe load, reads, boot), one row, so the cost per instance shows.
 * Made by runs such as `npm run bench -- --light --only berth,probe,reads,boot,memory --count 200`.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function pick(metrics: Record<string, number>, pattern: RegExp): number | undefined {
  const key = Object.keys(metrics).find((k) => pattern.test(k));
  return key === undefined ? undefined : metrics[key];
}

export function curveRows(entries: HistoryEntry[]): Array<Array<string | number>> {
  const newest = new Map<number, HistoryEntry>();
  for (const e of entries) {
    const n = e.metrics['probe-load.instances'];
    if (n !== undefined) newest.set(n, e);
  }
  return [...newest.entries()].sort(([a], [b]) => a - b).map(([n, e]) => {
    const m = e.metrics;
    const cpu = m['probe-load.load.cpuPercentOfOneCore'];
    const rps = pick(m, /^api-reads\.berth GET \/v1\/instances\/\{name\}\.requestsPerSecond$/);
    const hello = pick(m, /^api-reads\.Fastify hello-world.*\.requestsPerSecond$/);
    return [
      n,
      pct(cpu),
      cpu === undefined ? '–' : `${((cpu * 10) / n).toFixed(3)} ms/s`,
      mib(m['probe-load.load.rssMedianBytes']),
      ms(pick(m, /^api-reads\.berth GET \/v1\/instances\?limit=1000 \(\d+ items\)\.p99Ms$/)),
      ms(pick(m, /^api-reads\.berth GET \/v1\/instances\?limit=1000&view=summary \(\d+ items\)\.p99Ms$/)),
      `${ms(pick(m, /^api-reads\.berth GET \/v1\/instances\?limit=1000 \(\d+ items\), 1 connection\.p99Ms$/))} / ${ms(pick(m, /^api-reads\.berth GET \/v1\/instances\?limit=1000&view=summary \(\d+ items\), 1 connection\.p99Ms$/))}`,
      rps === undefined ? '–' : `${Math.round(rps)}${hello ? ` (${(rps / hello).toFixed(2)}×)` : ''}`,
      ms(m['boot.readyMs']),
      ms(m['boot.allRunningMs']),
      `${e.mode} ${e.startedAt.slice(0, 16)} load ${e.loadAvg.toFixed(1)}`,
    ];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = path.join(ROOT, 'bench/history.jsonl');
  const entries = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as HistoryEntry);
  const rows = curveRows(entries);
  if (!rows.length) {
    console.error('no run with a probe-load figure in bench/history.jsonl yet; run e.g. npm run bench -- --light --only berth,probe,reads,boot,memory --count 50');
    process.exit(1);
  }
  console.log(markdownTable(
    ['instances', 'probe CPU (% of a core)', 'CPU per instance', 'RSS probing', 'list p99, 10 clients (full)', 'list p99, 10 clients (summary)', 'list p99, 1 client (full / summary)', 'single read req/s (÷ hello)', 'boot → /ready', 'boot → all running', 'run'],
    rows,
  ));
}
