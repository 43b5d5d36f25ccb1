import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { BerthError } from '../common/errors.js';

export interface RateLimitSettings {
  enabled: boolean;
  /** Requests per token per minute over the reading /v1 routes. */
  perMinute: number;
  /** Requests per token per minute over the mutating /v1 routes (POST, PUT, PATCH, DELETE): their own, stricter bucket. */
  mutatingPerMinute: number;
  /** Requests with an invalid token one client address may make per window before it gets 429s. */
  authFailures?: number;
  authFailureWindowSeconds?: number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The caller's key: its token (auth runs first on /v1 routes), else its address. */
function keyOf(request: FastifyRequest): string {
  return request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`;
}

/**
 * Rate limits per token on every /v1 route with @fastify/rate-limit: one bucket shared by the
 * reading routes and a stricter one shared by the mutating routes (the plugin runs one limiter
 * per request, so a mutating call counts in the mutating bucket only). Over a limit: 429 RATE_LIMITED with Retry-After.
 * Attached per route at registration, after authentication, so the key is the token. Call
 * after installAuth and before any route is registered.
 */
export async function installRateLimits(app: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  if (!settings.enabled) return;
  await app.register(rateLimit, {
    global: false,
    keyGenerator: keyOf,
    errorResponseBuilder: (_request, context) => new BerthError('RATE_LIMITED',
      `rate limit of ${context.max} requests per ${context.after} reached for this token; retry in ${Math.ceil(context.ttl / 1000)}s`,
      { details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) } }),
  });
  // One store per limiter: each bucket is shared by every route it is attached to.
  const general = app.rateLimit({ max: settings.perMinute, timeWindow: 60_000 });
  const mutating = app.rateLimit({ max: settings.mutatingPerMinute, timeWindow: 60_000 });
  app.addHook('onRoute', (route) => {
    if (!(route.url === '/v1' || route.url.startsWith('/v1/'))) return;
    const limit: onRequestHookHandler = [route.method].flat().some((m) => MUTATING.has(m)) ? mutating : general;
    route.onRequest = [...(route.onRequest ? [route.onRequest].flat() : []), limit];
  });
}
