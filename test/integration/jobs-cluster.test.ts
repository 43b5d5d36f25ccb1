import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { createInstance, runsOf, until } from './jobs-fixtures.js';

const daemons: TestDaemon[] = [];
afterAll(async () => {
  // Stop the borrower first; the first daemon owns the database and removes everything.
  for (const d of [...daemons].reverse()) await (d === daemons[0] ? d.cleanup() : d.stop());
});

describe(`two berths on one ${testEnv.store} store`, () => {
  it('run every slot exactly once between them (counted in runs and inside the container)', async () => {
    // Two daemons in one test process share a pid: each needs its own process id (several berths on Postgres).
    const a = await startTestDaemon({ flags: { 'cluster.processId': 'pair-a' } });
    daemons.push(a);
    // Same store, same scope: a second berth process for the same fleet (the data dir too, for
    // the SQLite file and the admin token file the test helper reads).
    const b = await startTestDaemon({ databaseUrl: a.databaseUrl, scope: a.scope, dataDir: a.dataDir, flags: { 'cluster.processId': 'pair-b' } });
    daemons.push(b);
    const target = await createInstance(a, `pair-${a.scope.slice(2)}`);

    // Each execution appends a line in the container: the count of lines is the count of real runs.
    const made = await a.api('POST', '/v1/jobs', {
      name: 'tick', schedule: '*/2 * * * * *', target: { instance: target.name },
      action: { type: 'exec', command: ['sh', '-c', 'echo x >> /tmp/ticks && wc -l < /tmp/ticks'], timeoutSeconds: 10 },
    });
    expect(made.status).toBe(201);
    await until('six runs', async () => ((await runsOf(b, 'tick')).filter((r) => r.status === 'succeeded').length >= 6 ? true : undefined), 60_000, 300);
    await b.api('PATCH', '/v1/jobs/tick', { enabled: false });
    await until('runs to end', async () => ((await runsOf(a, 'tick')).every((r) => r.status !== 'running') ? true : undefined));

    const runs = await runsOf(a, 'tick');
    const slots = runs.map((r) => r.slot);
    expect(new Set(slots).size).toBe(slots.length);
    // No slot between the first and the last was dropped either.
    const times = slots.map((s) => Date.parse(s));
    expect(times).toEqual(times.map((_, i) => times[0]! + i * 2000));
    // A slot due while the previous exec is still going (a slow engine) is recorded as skipped, not run.
    expect(runs.every((r) => r.status === 'succeeded' || (r.status === 'skipped' && r.results.length === 0))).toBe(true);
    const ran = runs.filter((r) => r.status === 'succeeded');
    expect(ran.length).toBeGreaterThanOrEqual(6);

    // The container saw exactly as many executions as there are runs that ran, numbered 1..n.
    const counts = ran.map((r) => Number(r.results[0]?.output.trim())).sort((x, y) => x - y);
    expect(counts).toEqual(ran.map((_, i) => i + 1));
  });
});
