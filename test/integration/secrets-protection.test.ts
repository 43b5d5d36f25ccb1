import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { until } from '../helpers/instances.js';
import { runBerth } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** Known secret values never come back through the API (job output, logs); the data dir is owner-only. */
let td: TestDaemon;
const SECRET = 'sk-test-4f1d9c2b7a';
let umask: number;

beforeAll(async () => {
  // The daemon must lock its files down whatever the umask it starts with.
  umask = process.umask(0o000);
  try {
    td = await startTestDaemon({ flags: { 'monitor.enabled': false } });
  } finally {
    process.umask(umask);
  }
  const made = await td.api<{ status: string }>('POST', '/v1/instances?wait=running&timeout=90', {
    tenant: 'sec', name: 'sec', plan: 'starter', secrets: { API_KEY: SECRET },
    command: ['sh', '-c', 'echo "booting with $API_KEY"; exec node /app/server.js'],
  });
  expect(made.body.status).toBe('running');
}, 120_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`secrets (${testEnv.store})`, () => {
  it('masks known secret values in captured job output and in served logs', async () => {
    await td.api('POST', '/v1/jobs', { name: 'leak', schedule: '0 0 1 1 *', target: { instance: 'sec' }, action: { type: 'exec', command: ['sh', '-c', 'echo "key=$API_KEY"'], timeoutSeconds: 10 } });
    const run = await td.api<{ status: string; results: Array<{ output: string }> }>('POST', '/v1/jobs/leak/run?wait=true&timeout=60');
    expect(run.body.status).toBe('succeeded');
    expect(run.body.results[0]!.output).toBe('key=[secret]\n');
    const runs = await td.api('GET', '/v1/jobs/leak/runs');
    expect(JSON.stringify(runs.body)).not.toContain(SECRET);

    const logs = await until(async () => (await fetch(`${td.url}/v1/instances/sec/logs?tail=50`, { headers: { authorization: `Bearer ${td.token}` } })).text(), (t) => t.includes('booting with'), 20_000);
    expect(logs).toContain('booting with [secret]');
    expect(logs).not.toContain(SECRET);
    const instance = await td.api('GET', '/v1/instances/sec');
    expect(JSON.stringify(instance.body)).not.toContain(SECRET);
  });

  it('keeps the data dir 0700 and the database files 0600 even under umask 000', () => {
    expect(statSync(td.dataDir).mode & 0o777).toBe(0o700);
    if (testEnv.store === 'sqlite') {
      for (const f of ['berth.db', 'berth.db-wal', 'berth.db-shm']) {
        const file = path.join(td.dataDir, f);
        expect({ f, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ f, mode: '600' });
      }
    }
    expect(statSync(path.join(td.dataDir, 'admin.token')).mode & 0o777).toBe(0o600);
  });

  it('tokens can expire; berth token create --expires 30d; token ls shows last use and expiry', async () => {
    const made = await td.api<{ token: string; info: { expiresAt: string } }>('POST', '/v1/tokens', { name: 'brief', tenant: 'sec', expiresInSeconds: 1 });
    expect(made.status).toBe(201);
    const status = async (): Promise<number> => (await td.api('GET', '/v1/instances', undefined, made.body.token)).status;
    const last = await until(status, (s) => s === 401, 15_000, 200);
    expect(last).toBe(401);
    const expired = await td.api<{ error: { message: string } }>('GET', '/v1/instances', undefined, made.body.token);
    expect(expired.body.error.message).toContain('token expired');

    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: td.token };
    const cli = await runBerth(['token', 'create', 'month', '--tenant', 'sec', '--expires', '30d', '--json'], env);
    expect(cli.code, cli.stderr).toBe(0);
    const info = (JSON.parse(cli.stdout) as { info: { expiresAt: string } }).info;
    expect(Math.abs(Date.parse(info.expiresAt) - Date.now() - 30 * 86400_000)).toBeLessThan(120_000);
    expect((await runBerth(['token', 'create', 'bad', '--expires', 'soon'], env)).code).toBe(2);
    const ls = await runBerth(['token', 'ls'], env);
    expect(ls.stdout).toMatch(/LAST USED\s+EXPIRES\s+STATE/i);
    expect(ls.stdout).toMatch(/brief.*expired/);
  }, 60_000);
});
