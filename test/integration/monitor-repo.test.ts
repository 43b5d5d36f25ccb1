import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import type { AppendEvent } from '../../src/core/events/event-log.js';
import type { InstanceStatus } from '../../src/common/instance-status.js';
import { MonitorRepo, type ProbeWrite } from '../../src/store/repositories/monitor-repo.js';
import { ProbeWriter } from '../../src/monitor/probe-writer.js';
import type { Database } from '../../src/store/database.js';
import type { Store } from '../../src/store/store.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { openTestStore } from '../helpers/databases.js';
import { testEnv } from '../helpers/env.js';

const COUNT = 500;
const at = '2026-01-01T00:00:00.000Z';

function row(i: number, over: Partial<Record<string, unknown>> = {}) {
  return {
    id: `ins_${i}`, name: `n${i}`, tenant: `t${i}`, plan: 'starter', image: 'img', command: null, env: '{}', secrets_sealed: null,
    secret_names: '[]', container_port: 8080, host_port: 30_000 + i, health: '{}', spec_hash: 'h', desired_state: 'running',
    status: 'running' as InstanceStatus, container_id: `c${i}`, network_name: null, created_at: at, updated_at: at, ...over,
  };
}

describe(`monitor repo: batched probe writes and conditional status changes (${testEnv.store})`, () => {
  let store: Store;
  let close: (() => Promise<void>) | undefined;
  let transactions = 0;
  let repo: MonitorRepo;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('berth-monitor-repo-'));
    // Counts transactions on the real store: a flush must be one, whatever its size.
    const counted = new Proxy(unsafeDbForTests(store), {
      get(target, property, receiver) {
        if (property === 'transaction') transactions++;
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Kysely<Database>;
    repo = new MonitorRepo(counted, () => Date.parse('2026-01-01T01:00:00.000Z'));
    const rows = Array.from({ length: COUNT }, (_, i) => row(i));
    rows[1] = row(1, { desired_state: 'stopped', status: 'stopping' });
    rows[2] = row(2, { status: 'starting' });
    rows[3] = row(3, { status: 'creating', container_id: null });
    rows[7] = row(7, { status: 'failed', last_error: 'gave up after 5 restarts' });
    for (let i = 0; i < rows.length; i += 100) await unsafeDbForTests(store).insertInto('instances').values(rows.slice(i, i + 100)).execute();
  });
  afterAll(() => close?.());

  it('lists only desired-running instances in monitored statuses', async () => {
    const listed = await repo.listMonitored();
    expect(listed).toHaveLength(COUNT - 3);
    expect(listed.find((r) => r.id === 'ins_2')).toMatchObject({ status: 'starting', containerId: 'c2', hostPort: 30_002, restartHistory: [] });
  });

  it(`writes ${COUNT} probe results in one transaction per flush`, async () => {
    const recorded: AppendEvent[] = [];
    const writer = new ProbeWriter(repo, { append: async (...e) => { recorded.push(...e); } }, createLogger('silent'));
    const now = Date.parse('2026-01-01T00:30:00.000Z');
    for (let i = 0; i < COUNT; i++) {
      const write: ProbeWrite = { id: `ins_${i}`, containerId: `c${i}`, at: now, ok: i % 2 === 0, latencyMs: 3.4, consecutiveFailures: i % 2, error: i % 2 ? 'health check answered HTTP 503' : null };
      if (i < 4) write.transition = { to: 'unhealthy', from: ['running'] };
      writer.add({ write, onApplied: () => [{ instanceId: write.id, type: 'unhealthy', message: 'x' }] });
    }
    // Probed twice before the flush: both passes count, the latest observation wins.
    writer.add({ write: { id: 'ins_10', containerId: 'c10', at: now, ok: true, latencyMs: 7, consecutiveFailures: 0, error: null } });
    // A stale write for a container the instance no longer has changes nothing.
    writer.add({ write: { id: 'ins_10', containerId: 'old', at: now, ok: false, latencyMs: 1, consecutiveFailures: 9, error: 'stale' } });
    transactions = 0;
    const started = performance.now();
    await writer.flush();
    console.log(`[monitor] flushed ${COUNT} probe results in ${Math.round(performance.now() - started)} ms (${testEnv.store})`);
    expect(transactions).toBe(1);
    expect(writer.size).toBe(0);

    const rows = await unsafeDbForTests(store).selectFrom('instances').selectAll().orderBy('id').execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get('ins_10')).toMatchObject({ last_check_ok: 1, consecutive_failures: 0, checks_passed: 2, last_check_latency_ms: 7 });
    expect(byId.get('ins_11')).toMatchObject({ last_check_ok: 0, consecutive_failures: 1, checks_passed: 0, last_error: 'health check answered HTTP 503' });
    // Not written: a container the instance never had (ins_3), and rows the monitor no longer
    // watches, whose reason must survive a probe answered late (ins_1 stopping, ins_7 failed).
    expect(rows.filter((r) => r.last_check_at === '2026-01-01T00:30:00.000Z')).toHaveLength(COUNT - 3);
    expect(byId.get('ins_7')).toMatchObject({ status: 'failed', last_error: 'gave up after 5 restarts', consecutive_failures: 0, last_check_at: null });
    expect(byId.get('ins_1')).toMatchObject({ last_check_at: null });
    // Transitions applied only where desired state, container and current status allow.
    expect(byId.get('ins_0')).toMatchObject({ status: 'unhealthy', version: 1 });
    expect(byId.get('ins_1')).toMatchObject({ status: 'stopping', version: 0 });
    expect(byId.get('ins_2')).toMatchObject({ status: 'starting', version: 0 });
    expect(byId.get('ins_5')).toMatchObject({ status: 'running', version: 0 });
    expect(recorded.map((e) => e.instanceId)).toEqual(['ins_0']);
  });

  it('applies a restart patch only under its conditions, bumping the version', async () => {
    expect(await repo.patch('ins_20', 'c20', ['running'], { status: 'restarting', backoffMs: 2000, nextRestartAt: Date.parse(at), restartHistory: [Date.parse(at)], incrementRestarts: true })).toBe(true);
    expect(await repo.patch('ins_20', 'c20', ['running'], { status: 'crashloop' })).toBe(false);
    expect(await repo.patch('ins_21', 'other', ['running'], { status: 'restarting' })).toBe(false);
    // stopping → restarting is not in the status machine: a bug that throws in tests, and in production is logged and refused.
    await expect(repo.patch('ins_1', 'c1', ['stopping'], { status: 'restarting' })).rejects.toThrow(/illegal instance status transition stopping → restarting/);
    const lenient = new MonitorRepo(unsafeDbForTests(store), () => Date.parse('2026-01-01T01:00:00.000Z'), { illegalTransitions: 'log' });
    expect(await lenient.patch('ins_1', 'c1', ['stopping'], { status: 'restarting' })).toBe(false);
    const got = await repo.get('ins_20');
    expect(got).toMatchObject({ status: 'restarting', backoffMs: 2000, nextRestartAt: Date.parse(at), restartHistory: [Date.parse(at)], restarts: 1 });
    const raw = await unsafeDbForTests(store).selectFrom('instances').select(['version', 'restart_history']).where('id', '=', 'ins_20').executeTakeFirstOrThrow();
    expect(raw).toEqual({ version: 1, restart_history: JSON.stringify([at]) });
    expect(await repo.countByStatus()).toEqual(expect.arrayContaining([{ status: 'restarting', count: 1 }, { status: 'unhealthy', count: 1 }]));
  });
});
