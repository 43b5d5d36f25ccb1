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
const openapiTypescript = path.resolve('node_modules/.bin/openapi-typescript');
const tsc = path.resolve('node_modules/.bin/tsc');

/** A client's use of the generated types: compiles only if the document says what berth answers. */
const CLIENT = `import type { paths } from './schema.js';
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type InstanceList = Json<paths['/v1/instances']['get']['responses'][200]>;
type Instance = Json<paths['/v1/instances/{idOrName}']['get']['responses'][200]>;
type Create = NonNullable<paths['/v1/instances']['post']['requestBody']>['content']['application/json'];
type Events = Json<paths['/v1/instances/{idOrName}/events']['get']['responses'][200]>;
export const create: Create = { tenant: 'acme', plan: 'starter', env: { A: '1' }, health: { path: '/health' } };
export function describe(list: InstanceList, one: Instance, events: Events): string {
  const statuses: Array<Instance['status']> = ['creating', 'running', 'crashloop'];
  const first = list.items[0];
  return [list.total, first?.hostPort ?? 0, one.desiredState, one.lastCheckOk === null, statuses.length, events.items[0]?.type ?? ''].join(' ');
}
// @ts-expect-error a status the document does not list
export const wrong: Instance['status'] = 'sleeping';
`;

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

  it('generates a typed client (openapi-typescript) that type-checks against berth\'s answers', async () => {
    const spec = path.join(dir, 'client-openapi.json');
    writeFileSync(spec, JSON.stringify(doc));
    await run(openapiTypescript, [spec, '-o', path.join(dir, 'schema.d.ts'), '--silent'], { timeout: 60_000 });
    writeFileSync(path.join(dir, 'client.ts'), CLIENT);
    const compilerOptions = { noEmit: true, strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true, types: [] };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['client.ts'] }));
    const checked = await run(tsc, ['-p', dir], { timeout: 90_000 })
      .then(() => ({ code: 0, out: '' }), (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, out: error.stdout ?? '' }));
    expect(checked.out).toBe('');
    expect(checked.code).toBe(0);
  }, 120_000);

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
