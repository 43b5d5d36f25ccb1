import { Module } from 'node:module';

/**
 * Stand-ins in the require cache for CommonJS modules a package loads as it is imported but
 * uses only in a feature berth may never touch: the real module is loaded on first use.
 * `require` resolves `id` from the package that loads it. No-op when it is loaded already.
 */
function install(require: NodeJS.Require, id: string, makeExports: (real: () => unknown) => unknown): void {
  const file = require.resolve(id);
  if (require.cache[file]) return;
  let loaded: unknown;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = makeExports(() => {
    if (loaded === undefined) {
      delete require.cache[file];
      loaded = require(file);
    }
    return loaded;
  });
  require.cache[file] = standIn;
}

/** A module whose export is one function (called later). */
export function deferFunctionModule(require: NodeJS.Require, id: string): void {
  install(require, id, (real) => function deferred(this: unknown, ...args: unknown[]): unknown {
    return (real() as (...a: unknown[]) => unknown).apply(this, args);
  });
}

/** A module whose export is an object whose members are read only when used (`lib.fn(…)`). */
export function deferObjectModule(require: NodeJS.Require, id: string): void {
  install(require, id, (real) => new Proxy({}, {
    get: (_target, key) => Reflect.get(real() as object, key),
    has: (_target, key) => Reflect.has(real() as object, key),
    ownKeys: () => Reflect.ownKeys(real() as object),
    getOwnPropertyDescriptor: (_target, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real() as object, key);
      return d ? { ...d, configurable: true } : undefined;
    },
  }));
}
