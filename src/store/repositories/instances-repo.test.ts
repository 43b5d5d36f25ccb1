import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.js';
import { openStore, type Store } from '../store.js';
import { InstancesRepo } from './instances-repo.js';

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

async function seed(repo: InstancesRepo): Promise<void> {
  await repo.insert({
    id: 'ins_1', name: 'one', tenant: 't', plan: 'starter', image: 'img', command: null, env: '{}', secrets_sealed: null,
    secret_names: '[]', container_port: 8080, host_port: 30_001, health: '{}', spec_hash: 'h', desired_state: 'running',
    status: 'creating', container_id: null, network_name: null, created_at: at, updated_at: at,
  });
}

describe('instances repo: status writes go through the status machine', () => {
  it('moves a row only from an expected status; a stale writer loses and says so', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => lines.push(line) });
    const repo = new InstancesRepo(store.db, () => at, { logger });
    await seed(repo);
    expect(await repo.transition('ins_1', 'creating', 'starting')).toBe(true);
    expect((await repo.get('ins_1'))?.status).toBe('starting');
    // A second writer that still believes the row is `creating` loses.
    expect(await repo.transition('ins_1', 'creating', 'failed')).toBe(false);
    expect((await repo.get('ins_1'))?.status).toBe('starting');
    expect(lines.some((l) => l.includes('status write lost'))).toBe(true);
  });

  it('throws on an illegal transition under the test policy and logs it in production', async () => {
    const strict = new InstancesRepo(store.db, () => at, { illegalTransitions: 'throw' });
    await seed(strict);
    await expect(strict.transition('ins_1', 'creating', 'running')).rejects.toThrow(/creating → running/);
    const lines: string[] = [];
    const lenient = new InstancesRepo(store.db, () => at, { illegalTransitions: 'log', logger: createLogger('info', { write: (line: string) => lines.push(line) }) });
    expect(await lenient.transition('ins_1', 'creating', 'running')).toBe(false);
    expect((await lenient.get('ins_1'))?.status).toBe('creating');
    expect(lines.some((l) => l.includes('"level":50') && l.includes('illegal instance status transition'))).toBe(true);
  });
});
