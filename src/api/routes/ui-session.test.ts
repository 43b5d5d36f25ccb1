import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { Principal, TokenService } from '../../core/tokens/token-service.js';
import { buildApp, type App } from '../app.js';
import { uiSessionRoutes } from './ui-session.js';

const PRINCIPALS: Record<string, Principal> = {
  'admin-secret': { tokenId: 't1', name: 'admin', scope: 'admin', tenant: null },
  'acme-secret': { tokenId: 't2', name: 'acme-ci', scope: 'tenant', tenant: 'acme' },
};
// Only authenticate is used by the auth hook and the exchange.
const tokens = {
  async authenticate(token: string | undefined): Promise<Principal> {
    const p = token ? PRINCIPALS[token] : undefined;
    if (!p) throw new BerthError('UNAUTHORIZED', 'invalid or revoked token');
    return p;
  },
} as unknown as TokenService;

describe('dashboard login codes', () => {
  let app: App | undefined;
  let now = 1_000_000;
  afterEach(async () => { await app?.close(); });

  async function start(): Promise<App> {
    app = await buildApp({
      logger: createLogger('silent'), tokens, metrics: new Registry(), version: 'test', bodyLimitBytes: 65536,
      routes: [uiSessionRoutes({ tokens, now: () => now, codeTtlMs: 60_000 })],
    });
    return app;
  }
  const mint = (a: App, token: string) => a.inject({ method: 'POST', url: '/v1/session/login-codes', headers: { authorization: `Bearer ${token}` } });
  const exchange = (a: App, code: string) => a.inject({ method: 'POST', url: '/ui-login', payload: { code } });

  it('exchanges a code once for the token that minted it, with its scope', async () => {
    const a = await start();
    const minted = await mint(a, 'acme-secret');
    expect(minted.statusCode).toBe(201);
    const { code, path } = minted.json<{ code: string; path: string }>();
    expect(path).toBe(`/ui/#/login?code=${code}`);
    expect(path).not.toContain('acme-secret');
    const first = await exchange(a, code);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ token: 'acme-secret', session: { name: 'acme-ci', scope: 'tenant', tenant: 'acme' } });
    const second = await exchange(a, code);
    expect(second.statusCode).toBe(401);
    expect(second.json<{ error: { message: string } }>().error.message).toContain('already used or has expired');
  });

  it('refuses an expired code and an unknown one; minting needs a token', async () => {
    const a = await start();
    const { code } = (await mint(a, 'admin-secret')).json<{ code: string }>();
    now += 60_001;
    expect((await exchange(a, code)).statusCode).toBe(401);
    expect((await exchange(a, 'made-up')).statusCode).toBe(401);
    expect((await a.inject({ method: 'POST', url: '/v1/session/login-codes' })).statusCode).toBe(401);
  });

  it('GET /v1/session names the caller', async () => {
    const a = await start();
    const res = await a.inject({ method: 'GET', url: '/v1/session', headers: { authorization: 'Bearer admin-secret' } });
    expect(res.json()).toEqual({ name: 'admin', scope: 'admin', tenant: null });
  });
});
