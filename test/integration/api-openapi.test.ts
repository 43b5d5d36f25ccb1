import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const redocly = path.resolve('node_modules/.bin/redocly');

interface Operation { operationId?: string; security?: unknown[] }
type Doc = { servers?: unknown[]; paths: Record<string, Record<string, Operation>> };

describe(`OpenAPI document is a contract (${testEnv.store})`, () => {
  let td: TestDaemon;
  let dir: string;
  let doc: Doc;
  beforeAll(async () => {
    td = await startTestDaemon();
    dir = mkdtempSync(path.join(tmpdir(), 'berth-openapi-'));
    doc = (await td.api<Doc>('GET', '/openapi.json', undefined, null)).body;
  });
  afterAll(async () => {
    await td?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives every operation a unique, stable operationId and public ones security: []', () => {
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ p, m, op })));
    expect(ops.length).toBeGreaterThan(20);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/v1/instances/{idOrName}']?.get?.operationId).toBe('getInstancesByIdOrName');
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/v1/instances']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it('lints clean with redocly (no errors)', async () => {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const { stdout } = await run(redocly, ['lint', file, '--format', 'json'], { timeout: 60_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    // Warnings are reported, not failed: the known ones are operation-4xx-response on the public probes.
    const where = (p: { ruleId: string; location?: Array<{ pointer?: string }> }): string => `${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}`;
    console.log(`[openapi] redocly: ${report.totals.errors} errors, ${report.totals.warnings} warnings: ${report.problems.map(where).join('; ')}`);
  }, 90_000);
});
