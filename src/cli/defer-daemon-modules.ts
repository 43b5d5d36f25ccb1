import { createRequire } from 'node:module';
import { deferObjectModule } from '../common/deferred-modules.js';

/**
 * Before the daemon is loaded: two modules its packages require as they are imported, used
 * only sometimes, load on first use instead (~35 ms of an empty boot, measured): prom-client's
 * @opentelemetry/api (read only for exemplars) and @fastify/swagger's yaml (only for the
 * YAML form of the OpenAPI document).
 */
export function deferDaemonModules(): void {
  const here = createRequire(import.meta.url);
  for (const [pkg, id] of [['prom-client', '@opentelemetry/api'], ['@fastify/swagger', 'yaml']] as const) {
    try {
      deferObjectModule(createRequire(here.resolve(pkg)), id);
    } catch {
      // Not installed where expected: it loads as usual.
    }
  }
}
