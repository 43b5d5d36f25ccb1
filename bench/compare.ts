#!/usr/bin/env node
/**
 * `npm run bench:compare [-- --mode quick|full] [--all] [--threshold 1.2]`: the last run in
 * bench/history.jsonl against the run of the same mode before it — every measured figure with
 * its ratio, biggest change first, a mark on changes past the threshold in the bad direction.
 * Exit code 0 whatever it finds: a regression shows in review, not as a failed build.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, readHistory } from './lib/history.js';
import { markdownTable } from './lib/table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const history = readHistory(path.join(ROOT, 'bench/history.jsonl'));
const mode = opt('--mode') ?? history.at(-1)?.mode;
const runs = history.filter((h) => h.mode === mode);
const now = runs.at(-1);
const before = runs.at(-2);
if (!now || !before) {
  process.stdout.write(`bench:compare needs two ${mode ? `${mode} ` : ''}runs in bench/history.jsonl; it has ${runs.length}. Run \`npm run ${mode === 'simulate' ? 'bench:simulate' : `bench -- --${mode ?? 'quick'}`}\` again.\n`);
  process.exit(0);
}
const threshold = Number(opt('--threshold') ?? 1.2);
const changes = compare(before.metrics, now.metrics, threshold);
const shown = argv.includes('--all') ? changes : changes.slice(0, 40);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
process.stdout.write(`## bench:compare — ${mode}: ${now.runId} (${now.startedAt}, load ${now.loadAvg}) against ${before.runId} (${before.startedAt}, load ${before.loadAvg})\n\n`);
process.stdout.write(`${changes.filter((c) => c.worse).length} of ${changes.length} figures worse by more than ${threshold}×; ${changes.length - shown.length} smaller changes not shown (--all shows them)\n\n`);
process.stdout.write(`${markdownTable(['figure', 'before', 'now', 'now / before', ''], shown.map((c) => [c.metric, fmt(c.before), fmt(c.now), `${c.ratio.toFixed(2)}×`, c.worse ? 'WORSE' : '']))}\n`);
