import type { FastifySchema, RouteOptions } from 'fastify';

/**
 * What makes /openapi.json a contract others generate clients from: a stable operationId on
 * every operation, `security: []` on the public ones, a server, and OpenAPI 3.0 forms of the
 * JSON Schema keywords TypeBox emits. Applied by @fastify/swagger's transform hooks.
 */

const words = (s: string): string[] => s.split(/[^A-Za-z0-9]+/).filter(Boolean);
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A stable id from the method and path: GET /v1/instances/:idOrName/logs → getInstancesByIdOrNameLogs.
 * A route may set its own `operationId` in its schema instead.
 */
export function operationIdFor(method: string, url: string): string {
  const parts = url.split('/').filter((p) => p && p !== 'v1').map((p) => (p.startsWith(':') ? `By${cap(p.slice(1))}` : words(p).map(cap).join('')));
  return `${method.toLowerCase()}${parts.join('') || 'Root'}`;
}

type Schema = FastifySchema & { hide?: boolean; operationId?: string };

export function transformRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const own: Schema = schema ?? {};
  if (own.hide) return { schema: own, url };
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  return {
    url,
    schema: { ...own, operationId: own.operationId ?? operationIdFor(method, url), security: own.security ?? [] },
  };
}

/** OpenAPI 3.0 wants `minimum` + boolean `exclusiveMinimum` where JSON Schema has a numeric exclusiveMinimum. */
function toOpenApi30(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) toOpenApi30(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const [bound, flag] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
    if (typeof o[flag] === 'number') {
      o[bound] = o[flag];
      o[flag] = true;
    }
  }
  for (const value of Object.values(o)) toOpenApi30(value);
}

export function transformDocument<T extends object>({ openapiObject }: { openapiObject: T }): T {
  const doc = structuredClone(openapiObject) as T & { servers?: unknown[] };
  toOpenApi30(doc);
  doc.servers ??= [{ url: 'http://127.0.0.1:8081', description: 'berth serve on its default address' }];
  return doc;
}
