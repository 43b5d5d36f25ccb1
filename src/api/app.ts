import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Histogram } from 'prom-client';
import type { Logger } from '../common/logger.js';
import type { TokenService } from '../core/tokens/token-service.js';
import { installAuth } from './auth.js';
import { AuthFailureGuard } from './auth-failure-guard.js';
import { acceptEmptyJsonBodies } from './empty-json-body.js';
import { transformDocument, transformRoute } from './openapi-contract.js';
import { installErrorHandler } from './error-handler.js';
import { lazyCompilers } from './lazy-compilers.js';
import { installRateLimits, type RateLimitSettings } from './rate-limits.js';
import { ErrorSchema } from './schemas.js';
import { registerUi } from './ui-static.js';

export type App = FastifyInstance<
  import('node:http').Server, import('node:http').IncomingMessage, import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger, TypeBoxTypeProvider
>;

/** A route module: registers its routes on the app. */
export type RouteModule = (app: App) => void | Promise<void>;

export interface AppDeps {
  logger: Logger;
  tokens: TokenService;
  metrics: Registry;
  version: string;
  bodyLimitBytes: number;
  routes: RouteModule[];
  /** Per-token rate limits on /v1 (off when absent). */
  rateLimit?: RateLimitSettings;
  /** The clock for the token-guessing windows; the system clock when absent. */
  now?: () => number;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    // Per-request logs are left out (info level); failures are logged by the error handler.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: deps.bodyLimitBytes,
    // Route schemas compile on first use, not at boot (see lazy-compilers.ts).
    schemaController: { compilersFactory: lazyCompilers() },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    // The daemon waits for in-flight requests itself during shutdown.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.addSchema(ErrorSchema);
  installErrorHandler(app, deps.logger);
  acceptEmptyJsonBodies(app);

  const duration = new Histogram({
    name: 'berth_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [deps.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'berth',
        version: deps.version,
        description: 'Control plane for AI-agent runtimes in containers. Every /v1 route needs `Authorization: Bearer <token>`.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: transformRoute,
    transformObject: (documents) => ('openapiObject' in documents ? transformDocument(documents) : documents.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // The ~1 MB bundle is read on the first request for it, not at boot.
  let redocJs: string | undefined;
  app.get('/redoc', { schema: { hide: true } }, async (_req, reply) => {
    void reply.type('text/html').send(REDOC_HTML);
  });
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) => {
    redocJs ??= readRedocBundle();
    void reply.type('application/javascript').header('cache-control', 'max-age=86400').send(redocJs);
  });

  await registerUi(app);
  const rl = deps.rateLimit;
  const guard = rl?.enabled && rl.authFailures
    ? new AuthFailureGuard({ maxFailures: rl.authFailures, windowMs: (rl.authFailureWindowSeconds ?? 60) * 1000, now: deps.now ?? (() => Date.now()) })
    : undefined;
  installAuth(app, deps.tokens, guard);
  if (deps.rateLimit) await installRateLimits(app, deps.rateLimit);
  for (const register of deps.routes) await register(app);
  return app;
}

/**
 * ReDoc's prebuilt browser bundle: copied into dist/vendor/redoc by the build (a production
 * install has no redoc package); from the redoc devDependency when running from source.
 */
function readRedocBundle(): string {
  const built = fileURLToPath(new URL('../../vendor/redoc/redoc.standalone.js', import.meta.url));
  if (existsSync(built)) return readFileSync(built, 'utf8');
  try {
    return readFileSync(createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'), 'utf8');
  } catch {
    return 'document.body.textContent = "ReDoc bundle missing: run npm run build";';
  }
}

const REDOC_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>berth API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>`;
