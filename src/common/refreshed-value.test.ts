import { describe, expect, it } from 'vitest';
import { RefreshedValue } from './refreshed-value.js';

describe('RefreshedValue', () => {
  it('serves the last loaded value without loading per read, and keeps it when a load fails', async () => {
    let loads = 0;
    let fail = false;
    const v = new RefreshedValue(async () => {
      loads++;
      if (fail) throw new Error('store away');
      return loads;
    }, 60_000, 0);
    expect(v.get()).toBe(0);
    await v.start();
    for (let i = 0; i < 100; i++) expect(v.get()).toBe(1);
    expect(loads).toBe(1);
    fail = true;
    await (v as unknown as { refresh(): Promise<void> }).refresh();
    expect(v.get()).toBe(1);
    v.stop();
  });
});
