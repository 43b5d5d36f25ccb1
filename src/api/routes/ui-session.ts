import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { TokenService } from '../../core/tokens/token-service.js';
import type { App } from '../app.js';
import { principalOf } from '../auth.js';
import { errorResponses, Security } from '../schemas.js';

export interface UiSessionDeps {
  tokens: TokenService;
  now: () => number;
  /** How long a login code lives; default 60 s. */
  codeTtlMs?: number;
}

const Session = Type.Object({
  name: Type.String({ description: 'The token\'s name' }),
  scope: Type.Union([Type.Literal('admin'), Type.Literal('tenant')]),
  tenant: Type.Union([Type.String(), Type.Null()]),
}, { $id: 'Session', title: 'Session' });

interface PendingCode {
  token: string;
  expiresAt: number;
}

/**
 * The dashboard's session: `GET /v1/session` says who a token is; `POST /v1/session/login-codes`
 * (any token) mints a one-time code that `POST /ui-login` exchanges, once and within a minute,
 * for that same token. `berth ui` prints the code in a link's fragment, so the token itself
 * never appears in a URL, a server log or the browser history. Codes live in memory only.
 */
export function uiSessionRoutes(deps: UiSessionDeps) {
  const ttl = deps.codeTtlMs ?? 60_000;
  const pending = new Map<string, PendingCode>();
  const sweep = (): void => {
    const now = deps.now();
    for (const [code, p] of pending) if (p.expiresAt <= now) pending.delete(code);
  };

  return (app: App): void => {
    app.addSchema(Session);
    const ref = Type.Ref('Session');

    app.get('/v1/session', {
      schema: { operationId: 'getSession', summary: 'The caller\'s token: name, scope and tenant', tags: ['session'], security: Security, response: { 200: ref, ...errorResponses() } },
    }, async (request) => {
      const p = principalOf(request);
      return { name: p.name, scope: p.scope, tenant: p.tenant };
    });

    app.post('/v1/session/login-codes', {
      schema: {
        operationId: 'createLoginCode',
        summary: 'Mint a one-time dashboard login code for the calling token (single use, short-lived)',
        tags: ['session'], security: Security,
        response: {
          201: Type.Object({
            code: Type.String(),
            expiresAt: Type.String(),
            path: Type.String({ description: 'Dashboard path that signs in with the code (the code rides in the fragment)' }),
          }),
          ...errorResponses(),
        },
      },
    }, async (request, reply) => {
      principalOf(request);
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!match?.[1]) throw new BerthError('UNAUTHORIZED', 'missing bearer token');
      sweep();
      const code = randomBytes(24).toString('base64url');
      const expiresAt = deps.now() + ttl;
      pending.set(code, { token: match[1], expiresAt });
      return reply.status(201).send({ code, expiresAt: new Date(expiresAt).toISOString(), path: `/ui/#/login?code=${code}` });
    });

    app.post('/ui-login', {
      schema: {
        operationId: 'exchangeLoginCode',
        summary: 'Exchange a one-time login code for the dashboard session (no bearer token needed)',
        tags: ['session'],
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), session: ref }), ...errorResponses() },
      },
    }, async (request) => {
      sweep();
      const entry = pending.get(request.body.code);
      pending.delete(request.body.code);
      if (!entry) throw new BerthError('UNAUTHORIZED', 'this login link was already used or has expired: run `berth ui` again');
      const p = await deps.tokens.authenticate(entry.token);
      return { token: entry.token, session: { name: p.name, scope: p.scope, tenant: p.tenant } };
    });
  };
}
