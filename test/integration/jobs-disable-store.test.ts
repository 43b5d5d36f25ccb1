import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/store/repositories/events-repo.js';
import type { JobRow } from '../../src/store/repositories/jobs-repo.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../helpers/databases.js';
import { testEnv } from '../helpers/env.js';

const at = '2026-01-01T00:00:00.000Z';

function job(id: string, instanceId: string): JobRow {
  return {
    id, name: id, schedule: '* * * * *', timezone: 'UTC', target: JSON.stringify({ instance: 'shared', instanceId }),
    action: JSON.stringify({ type: 'restart' }), enabled: 1, missed_policy: 'skip', overlap_policy: 'skip', timeout_seconds: 60,
    tenant: 'evil', next_run_at: at, last_run_at: null, created_at: at, updated_at: at,
  };
}

function disabledEvent(row: JobRow): NewEvent {
  return { instanceId: 'ins_gone', instance: 'shared', tenant: row.tenant, type: 'job-disabled', message: `job ${row.name} disabled`, actor: 'berth', data: { job: row.id }, at };
}

// A reader who finds a job disabled must also find why: the disable and its event are one transaction.
describe(`jobs of a deleted instance: disabled together with the event saying why (${testEnv.store})`, () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('berth-jobs-disable-'));
    for (const row of [job('job_a', 'ins_gone'), job('job_b', 'ins_gone'), job('job_c', 'ins_other'), job('job_d', 'ins_broken')]) await store.repos.jobs.insert(row);
  });
  afterAll(() => close());

  it('disables only the jobs bound to that id and writes one event for each', async () => {
    const written = await store.repos.jobs.disableTargeting('ins_gone', (jobs) => jobs.map(disabledEvent));
    expect(written.map((e) => e.data?.['job']).sort()).toEqual(['job_a', 'job_b']);
    const enabled = (await store.repos.jobs.listEnabled()).map((j) => j.id);
    expect(enabled).toEqual(['job_c', 'job_d']);
    const events = await store.repos.events.list({ type: 'job-disabled', limit: 10 });
    expect(events.map((e) => e.message).sort()).toEqual(['job job_a disabled', 'job job_b disabled']);
    expect(await store.repos.jobs.disableTargeting('ins_gone', (jobs) => jobs.map(disabledEvent))).toEqual([]);
  });

  it('leaves the job enabled when its event cannot be written', async () => {
    // A null type breaks the events table's NOT NULL: the event insert fails inside the transaction.
    const broken = (row: JobRow): NewEvent => ({ ...disabledEvent(row), type: null as unknown as string });
    await expect(store.repos.jobs.disableTargeting('ins_broken', (jobs) => jobs.map(broken))).rejects.toThrow();
    expect((await store.repos.jobs.listEnabled()).map((j) => j.id)).toContain('job_d');
    expect((await store.repos.events.list({ type: 'job-disabled', limit: 10 })).map((e) => e.message)).not.toContain('job job_d disabled');
  });
});
