/* global process, console */
// Sums the JSON reports that the vitest runs wrote into one closing line, so the whole run
// ends with "tests: N passed, N failed" whatever the number of suites.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const failures = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const p = r.numPassedTests ?? 0;
  const f = (r.numFailedTests ?? 0) + (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  passed += p;
  failed += f;
  skipped += s;
  for (const t of r.testResults ?? []) {
    const where = path.relative(process.cwd(), t.name ?? '');
    for (const a of t.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      failures.push(`  ✗ ${file.replace(/\.json$/, '')} ${where} > ${a.fullName ?? a.title}\n      ${firstLine(a.failureMessages)}`);
    }
    if (t.status === 'failed' && (t.assertionResults ?? []).length === 0) failures.push(`  ✗ ${file.replace(/\.json$/, '')} ${where}\n      ${firstLine([t.message])}`);
  }
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(28)} ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
}
console.log(rows.join('\n'));
// The failing tests again at the very end: CI shows only the tail of a long run.
if (failures.length > 0) console.log(`failed:\n${failures.join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

function firstLine(messages) {
  const text = (messages ?? []).find((m) => typeof m === 'string' && m.trim() !== '') ?? '(no message)';
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0].slice(0, 300);
}
