import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** Token guessing is limited per client address, without slowing valid tokens. */
let td: TestDaemon;
type Err = { error: { code: string; message: string } };

beforeAll(async () => {
  td = await startTestDaemon({
    flags: { 'rateLimit.enabled': true, 'rateLimit.authFailures': 5, 'rateLimit.authFailureWindowSeconds': 3, 'monitor.enabled': false },
  });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

describe(`token guessing (${testEnv.store})`, () => {
  it('429 with Retry-After after N invalid tokens from one address; valid tokens pass at once; the block ends with the window', async () => {
    // Requests without a token guess nothing and are not counted.
    for (let i = 0; i < 8; i++) expect((await td.api('GET', '/v1/plans', undefined, null)).status).toBe(401);
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push((await td.api('GET', '/v1/plans', undefined, `berth_guess${i}`)).status);
    expect(guesses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await td.api<Err>('GET', '/v1/instances', undefined, 'berth_guess5');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3);
    // Unmatched and percent-encoded /v1 paths meet the same guard.
    expect((await td.api('GET', '/%761/tokens', undefined, 'berth_guess6')).status).toBe(429);
    expect((await td.api('GET', '/v1/nothing-here', undefined, 'berth_guess7')).status).toBe(429);
    // Valid tokens from the same address go through at once: the admin's, and one issued during the block.
    const started = Date.now();
    expect((await td.api('GET', '/v1/plans')).status).toBe(200);
    const fresh = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'guess-fresh', tenant: 'guess' })).body.token;
    expect((await td.api('GET', '/v1/plans', undefined, fresh)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A revoked token is refused like any other invalid token while the address is blocked.
    expect((await td.api('DELETE', '/v1/tokens/guess-fresh')).status).toBe(200);
    expect((await td.api('GET', '/v1/plans', undefined, fresh)).status).toBe(429);
    // The window is the wait: once it passes, the address may try again and gets a plain 401.
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 300));
    expect((await td.api('GET', '/v1/plans', undefined, 'berth_guess8')).status).toBe(401);
  }, 60_000);
});
