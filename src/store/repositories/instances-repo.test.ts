import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conflictOn } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { openStore, type Store } from '../store.js';
import { unsafeDbForTests } from '../unsafe-db.js';
import { InstancesRepo, type NewInstance } from './instances-repo.js';

const at = '2026-01-01T00:00:00.000Z';
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-instances-repo-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const health = { path: '/health', intervalSeconds: 5, timeoutSeconds: 2, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 };
const one: NewInstance = {
  id: 'ins_1', name: 'one', tenant: 't', plan: 'starter', image: 'img', command: ['node', 'a.js'], env: { A: '1' }, secretsSealed: null,
  secretNames: ['KEY'], containerPort: 8080, hostPort: 30_001, health, specHash: 'h', desiredState: 'running',
  status: 'creating', networkName: null, workspaceVolume: 'ws-1', createdAt: at, updatedAt: at,
};

async function seed(repo: InstancesRepo): Promise<void> {
  await repo.insert(one);
}

describe('instances repo: status writes go through the status machine', () => {
  it('moves a row only from an expected status; a stale writer loses and says so', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => lines.push(line) });
    const repo = new InstancesRepo(unsafeDbForTests(store), () => at, { logger });
    await seed(repo);
    expect(await repo.transition('ins_1', 'creating', 'starting')).toBe(true);
    expect((await repo.get('ins_1'))?.status).toBe('starting');
    // A second writer that still believes the row is `creating` loses.
    expect(await repo.transition('ins_1', 'creating', 'failed')).toBe(false);
    expect((await repo.get('ins_1'))?.status).toBe('starting');
    expect(lines.some((l) => l.includes('status write lost'))).toBe(true);
  });

  it('throws on an illegal transition under the test policy and logs it in production', async () => {
    const strict = new InstancesRepo(unsafeDbForTests(store), () => at, { illegalTransitions: 'throw' });
    await seed(strict);
    await expect(strict.transition('ins_1', 'creating', 'running')).rejects.toThrow(/creating → running/);
    const lines: string[] = [];
    const lenient = new InstancesRepo(unsafeDbForTests(store), () => at, { illegalTransitions: 'log', logger: createLogger('info', { write: (line: string) => lines.push(line) }) });
    expect(await lenient.transition('ins_1', 'creating', 'running')).toBe(false);
    expect((await lenient.get('ins_1'))?.status).toBe('creating');
    expect(lines.some((l) => l.includes('"level":50') && l.includes('illegal instance status transition'))).toBe(true);
  });
});

describe('instances repo: rows become records, unique violations become CONFLICT', () => {
  it('hands back what was written, in camelCase with JSON parsed, and writes patches by their column', async () => {
    const repo = store.repos.instances;
    await seed(repo);
    expect(await repo.get('ins_1')).toEqual({
      ...one, containerId: null, restarts: 0, consecutiveFailures: 0, checksPassed: 0, lastCheckAt: null, lastCheckOk: null,
      lastCheckLatencyMs: null, lastExitCode: null, oomKilled: false, backoffMs: 0, nextRestartAt: null, lastError: null, startedAt: null, revision: 1, previousRevision: null, scanDir: null,
    });
    expect(await repo.update('ins_1', { containerId: 'c1', lastError: 'x', backoffMs: 500, clearRestartHistory: true })).toBe(true);
    expect(await repo.get('ins_1')).toMatchObject({ containerId: 'c1', lastError: 'x', backoffMs: 500 });
    expect(await repo.listTargets({ instance: 'one' })).toEqual([
      { id: 'ins_1', name: 'one', tenant: 't', plan: 'starter', containerId: 'c1', hostPort: 30_001, status: 'creating', desiredState: 'running' },
    ]);
  });

  it('reports a taken name or host port as BerthError CONFLICT naming the field, and writes nothing', async () => {
    const repo = store.repos.instances;
    await seed(repo);
    const sameName = await repo.insert({ ...one, id: 'ins_2', hostPort: 30_002 }).catch((e: unknown) => e);
    expect(sameName).toMatchObject({ code: 'CONFLICT' });
    expect(conflictOn(sameName)).toBe('name');
    const samePort = await repo.insert({ ...one, id: 'ins_3', name: 'three' }).catch((e: unknown) => e);
    expect(conflictOn(samePort)).toBe('hostPort');
    await repo.insert({ ...one, id: 'ins_4', name: 'four', hostPort: 30_004 });
    expect(conflictOn(await repo.update('ins_4', { hostPort: 30_001 }).catch((e: unknown) => e))).toBe('hostPort');
    expect((await repo.list({ limit: 10, offset: 0 })).rows.map((r) => [r.id, r.hostPort])).toEqual([['ins_1', 30_001], ['ins_4', 30_004]]);
  });
});
