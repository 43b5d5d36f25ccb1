import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deferFunctionModule, deferObjectModule } from './deferred-modules.js';

describe('deferred modules: loaded on first use, the same to their users', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const setup = (): NodeJS.Require => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-deferred-'));
    writeFileSync(path.join(dir, 'obj.cjs'), 'globalThis.__objLoads = (globalThis.__objLoads ?? 0) + 1; module.exports = { twice: (n) => n * 2, name: "obj" };');
    writeFileSync(path.join(dir, 'fn.cjs'), 'globalThis.__fnLoads = (globalThis.__fnLoads ?? 0) + 1; module.exports = function (a, b) { return a + b; };');
    return createRequire(path.join(dir, 'index.cjs'));
  };
  const loads = (key: string): number => (globalThis as Record<string, unknown>)[key] as number ?? 0;

  it('an object module: required without loading, loaded once on the first member read', () => {
    const require = setup();
    const before = loads('__objLoads');
    deferObjectModule(require, './obj.cjs');
    const lib = require('./obj.cjs') as { twice: (n: number) => number; name: string };
    expect(loads('__objLoads')).toBe(before);
    expect(lib.twice(21)).toBe(42);
    expect(lib.name).toBe('obj');
    expect('twice' in lib).toBe(true);
    expect(Object.keys(lib).sort()).toEqual(['name', 'twice']);
    expect(loads('__objLoads')).toBe(before + 1);
  });

  it('a function module: loaded on the first call', () => {
    const require = setup();
    const before = loads('__fnLoads');
    deferFunctionModule(require, './fn.cjs');
    const add = require('./fn.cjs') as (a: number, b: number) => number;
    expect(loads('__fnLoads')).toBe(before);
    expect(add(2, 3)).toBe(5);
    expect(add(4, 5)).toBe(9);
    expect(loads('__fnLoads')).toBe(before + 1);
  });
});
