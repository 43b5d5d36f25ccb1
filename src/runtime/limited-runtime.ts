import type { EngineLimiter } from '../common/engine-limiter.js';
import type { RuntimeDriver } from './runtime-driver.js';

/** The runtime calls that change engine state; each takes a slot of the engine limiter. */
export const ENGINE_MUTATIONS = [
  'createContainer', 'startContainer', 'stopContainer', 'restartContainer', 'killContainer', 'removeContainer', 'renameContainer',
  'ensureNetwork', 'removeNetwork', 'ensureVolume', 'removeVolume', 'pauseContainer',
] as const satisfies ReadonlyArray<keyof RuntimeDriver>;

const MUTATING: ReadonlySet<PropertyKey> = new Set(ENGINE_MUTATIONS);

/** Wraps a driver so every engine-mutating call runs under `limiter`; reads, logs, exec and events pass straight through. */
export function limitEngineCalls(driver: RuntimeDriver, limiter: EngineLimiter): RuntimeDriver {
  return new Proxy(driver, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !MUTATING.has(property)) return value;
      return (...args: unknown[]): Promise<unknown> => limiter.run(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
