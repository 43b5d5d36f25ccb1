import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedLock', () => {
  it('serialises work on one key and lets other keys run', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const gate = deferred();
    const a1 = lock.run('a', async () => {
      await gate.promise;
      order.push('a1');
    });
    const a2 = lock.run('a', async () => {
      order.push('a2');
    });
    await lock.run('b', async () => {
      order.push('b');
    });
    expect(order).toEqual(['b']);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['b', 'a1', 'a2']);
    expect(lock.isBusy('a')).toBe(false);
  });

  it('keeps going after a failure and reports busy keys to tryRun', async () => {
    const lock = new KeyedLock();
    const gate = deferred();
    const failing = lock.run('k', async () => {
      await gate.promise;
      throw new Error('boom');
    });
    expect(lock.tryRun('k', async () => 1)).toBeUndefined();
    gate.resolve();
    await expect(failing).rejects.toThrow('boom');
    await Promise.resolve();
    await expect(lock.run('k', async () => 2)).resolves.toBe(2);
    await expect(lock.tryRun('k', async () => 3)).resolves.toBe(3);
  });
});
