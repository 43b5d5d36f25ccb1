import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { createInstance, runsOf, until } from './jobs-fixtures.js';

const daemons: TestDaemon[] = [];
afterAll(async () => {
  // The first daemon owns the data dir and database; the second only borrowed them.
  for (const d of daemons.reverse()) await (d === daemons[daemons.length - 1] ? d.cleanup() : d.stop());
});

describe(`missed slots across a berth restart (${testEnv.store})`, () => {
  it('skip: the missed slots are not run; run-once: exactly one catch-up run; both resume on schedule', async () => {
    const first = await startTestDaemon();
    daemons.push(first);
    const target = await createInstance(first, `missed-${first.scope.slice(2)}`);
    const action = { type: 'exec', command: ['sh', '-c', 'echo ran'], timeoutSeconds: 10 };
    for (const [name, missedPolicy] of [['skipper', 'skip'], ['catcher', 'run-once']]) {
      const res = await first.api('POST', '/v1/jobs', { name, schedule: '*/2 * * * * *', target: { instance: target.name }, action, missedPolicy });
      expect(res.status).toBe(201);
    }
    await first.stop();
    const stoppedAt = Date.now();

    // Down for longer than the grace (5 s): three or four slots pass with no berth running.
    await new Promise((r) => setTimeout(r, 7500));
    const bootedAt = Date.now();
    const second = await startTestDaemon({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, scope: first.scope });
    daemons.push(second);

    // Wait until both jobs are back on schedule: a scheduled run after the boot has ended.
    for (const name of ['skipper', 'catcher']) {
      await until(`${name} back on schedule`, async () => ((await runsOf(second, name)).some((r) => r.trigger === 'schedule' && Date.parse(r.slot) > bootedAt && r.status === 'succeeded') ? true : undefined));
    }
    await second.api('PATCH', '/v1/jobs/skipper', { enabled: false });
    await second.api('PATCH', '/v1/jobs/catcher', { enabled: false });

    const inOutage = (slot: string): boolean => Date.parse(slot) > stoppedAt && Date.parse(slot) < bootedAt;
    const skipper = await runsOf(second, 'skipper');
    expect(skipper.filter((r) => r.trigger === 'catch-up')).toEqual([]);
    expect(skipper.filter((r) => inOutage(r.slot))).toEqual([]);

    const catcher = await runsOf(second, 'catcher');
    const catchUps = catcher.filter((r) => r.trigger === 'catch-up');
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0]).toMatchObject({ status: 'succeeded', results: [expect.objectContaining({ output: 'ran\n' })] });
    // The catch-up ran after the boot, for the first missed slot; no outage slot ran on schedule.
    expect(Date.parse(catchUps[0]!.startedAt)).toBeGreaterThanOrEqual(bootedAt);
    expect(Date.parse(catchUps[0]!.slot)).toBeLessThan(bootedAt);
    expect(catcher.filter((r) => r.trigger === 'schedule' && inOutage(r.slot))).toEqual([]);
  });
});
