/* global process, console, fetch, AbortSignal */
// Writes berth's OpenAPI document to a file without an engine: boots the built daemon on a
// throwaway SQLite store, monitor and scheduler off, an engine address that does not exist,
// reads /openapi.json and stops. `npm run build` runs it before generating the dashboard's client.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/openapi-doc.mjs <output.json>');
  process.exit(2);
}
const { startDaemon } = await import('../dist/src/main.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-openapi-'));
const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
const daemon = await startDaemon({
  env: { DOCKER_HOST: `unix://${path.join(dataDir, 'no-engine.sock')}` },
  flags: {
    dataDir, 'server.port': 0, 'monitor.enabled': false, 'scheduler.enabled': false,
    'runtime.scope': 'openapi-doc', 'log.level': 'silent', 'docker.retrySeconds': 3600,
  },
  logDestination: quiet,
});
try {
  const res = await fetch(`${daemon.url}/openapi.json`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  writeFileSync(out, `${JSON.stringify(await res.json(), null, 2)}\n`);
} finally {
  await daemon.stop('openapi document written');
  rmSync(dataDir, { recursive: true, force: true });
}
