import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** Per-token rate limits (general and mutating) and caps on followed log streams. */
let td: TestDaemon;
type Err = { error: { code: string; message: string } };

beforeAll(async () => {
  td = await startTestDaemon({
    flags: {
      'rateLimit.enabled': true, 'rateLimit.perMinute': 40, 'rateLimit.mutatingPerMinute': 5,
      'streams.maxPerToken': 1, 'streams.maxTotal': 2, 'streams.maxSeconds': 3, 'monitor.enabled': false,
    },
  });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

async function tokenFor(name: string, tenant: string): Promise<string> {
  return (await td.api<{ token: string }>('POST', '/v1/tokens', { name, tenant })).body.token;
}

describe(`rate limits (${testEnv.store})`, () => {
  it('limits mutating calls per token more strictly than reads; 429 RATE_LIMITED with Retry-After; other tokens unaffected', async () => {
    // The admin's own POSTs above count too: use fresh tenant tokens.
    const a = await tokenFor('rl-a', 'rla');
    const b = await tokenFor('rl-b', 'rlb');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await td.api('DELETE', `/v1/workspaces/wks_nope${i}`, undefined, a)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    const limited = await td.api<Err>('DELETE', '/v1/workspaces/wks_nope', undefined, a);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reads still pass for the same token (their own bucket), and another token is untouched.
    expect((await td.api('GET', '/v1/workspaces', undefined, a)).status).toBe(200);
    expect((await td.api('DELETE', '/v1/workspaces/wks_nope', undefined, b)).status).toBe(404);
    // The reading bucket: 40 per minute, the read above included.
    const reads: number[] = [];
    for (let i = 0; i < 40; i++) reads.push((await td.api('GET', '/v1/plans', undefined, a)).status);
    expect(reads.filter((s) => s === 200).length).toBeLessThan(40);
    expect(reads.at(-1)).toBe(429);
    // The unauthenticated endpoints are not limited per token.
    expect((await td.api('GET', '/health', undefined, null)).status).toBe(200);
  });

  it('caps followed log streams per token and in total, and ends them after streams.maxSeconds', async () => {
    const made = await td.api<{ status: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: 'logs', name: 'logs', plan: 'starter' });
    expect(made.body.status).toBe('running');
    const token = await tokenFor('logs-reader', 'logs');
    const open = async (tok: string): Promise<{ res: Response; abort: AbortController }> => {
      const abort = new AbortController();
      const res = await fetch(`${td.url}/v1/instances/logs/logs?follow=true&tail=1`, { headers: { authorization: `Bearer ${tok}` }, signal: abort.signal });
      return { res, abort };
    };
    const first = await open(token);
    expect(first.res.status).toBe(200);
    const second = await open(token);
    expect(second.res.status).toBe(429);
    expect(((await second.res.json()) as Err).error.code).toBe('RATE_LIMITED');
    const byAdmin = await open(td.token);
    expect(byAdmin.res.status).toBe(200);
    // maxTotal 2: a third stream from anyone is refused.
    const third = await open(await tokenFor('logs-other', 'logs'));
    expect(third.res.status).toBe(429);
    // The followed stream ends by itself after maxSeconds (3 s), freeing the slot.
    const started = Date.now();
    await first.res.text();
    expect(Date.now() - started).toBeLessThan(15_000);
    byAdmin.abort.abort();
    const again = await open(token);
    expect(again.res.status).toBe(200);
    again.abort.abort();
  }, 120_000);
});
