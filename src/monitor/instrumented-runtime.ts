import type { RuntimeDriver } from '../runtime/runtime-driver.js';

type OnError = (operation: string, error: unknown) => void;

async function* watched<T>(source: AsyncIterable<T>, fail: (error: unknown) => void): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    fail(error);
    throw error;
  }
}

/**
 * Wraps a runtime driver so every failed call (promise or stream) is reported, for the
 * runtime API errors metric; results and errors pass through unchanged.
 */
export function instrumentRuntime(driver: RuntimeDriver, onError: OnError): RuntimeDriver {
  return new Proxy(driver, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = String(property);
      const fail = (error: unknown): void => onError(operation, error);
      return (...args: unknown[]): unknown => {
        let out: unknown;
        try {
          out = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          fail(error);
          throw error;
        }
        if (out instanceof Promise) return out.catch((error: unknown) => { fail(error); throw error; });
        if (out !== null && typeof out === 'object' && Symbol.asyncIterator in out) return watched(out as AsyncIterable<unknown>, fail);
        return out;
      };
    },
  });
}
