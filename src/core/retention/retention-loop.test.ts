import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { openStore, type Store } from '../../store/store.js';
import { unsafeDbForTests } from '../../store/unsafe-db.js';
import { RetentionLoop } from './retention-loop.js';

const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-retention-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (at: number) => ({ instance_id: null, instance_name: null, tenant: null, type: 't', message: 'm', actor: 'berth', data: null, at: new Date(at).toISOString() });
const run = (i: number, at: number, status = 'succeeded') => ({
  id: `run_${String(i).padStart(5, '0')}`, job_id: 'job_a', slot: `s${i}`, trigger: 'schedule', status, started_at: new Date(at).toISOString(),
  ended_at: new Date(at).toISOString(), results: '[{"output":"secret stuff"}]', claimed_by: 'x', note: null,
});

describe('RetentionLoop', () => {
  it('prunes events and finished job runs by age, then by count, in batches', async () => {
    const db = unsafeDbForTests(store);
    const old = Array.from({ length: 1250 }, (_, i) => event(NOW - 40 * DAY + i));
    const fresh = Array.from({ length: 20 }, (_, i) => event(NOW - DAY + i));
    for (let i = 0; i < old.length; i += 250) await db.insertInto('events').values(old.slice(i, i + 250)).execute();
    await db.insertInto('events').values(fresh).execute();
    const runs = [
      ...Array.from({ length: 300 }, (_, i) => run(i, NOW - 20 * DAY + i)),
      run(300, NOW - 30 * DAY, 'running'),
      ...Array.from({ length: 10 }, (_, i) => run(400 + i, NOW - DAY + i)),
    ];
    await db.insertInto('job_runs').values(runs).execute();

    const loop = new RetentionLoop({
      repo: store.repos.retention, clock: new ManualClock(NOW), logger: createLogger('silent'),
      settings: { eventsMaxAgeDays: 30, eventsMaxCount: 15, jobRunsMaxAgeDays: 14, jobRunsMaxCount: 5, intervalSeconds: 60, batchSize: 100 },
    });
    expect(await loop.pruneNow()).toEqual({ events: 1250 + 5, jobRuns: 300 + 5 });
    const events = await db.selectFrom('events').select('at').orderBy('id').execute();
    expect(events.map((e) => e.at)).toEqual(fresh.slice(5).map((e) => e.at));
    const left = await db.selectFrom('job_runs').select(['id', 'status']).orderBy('id').execute();
    // A run still going is never pruned, however old.
    expect(left.map((r) => r.id)).toEqual(['run_00300', 'run_00405', 'run_00406', 'run_00407', 'run_00408', 'run_00409']);
    expect(await loop.pruneNow()).toEqual({ events: 0, jobRuns: 0 });
  });
});
