import { describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { PortAllocator, pickFreePort } from './port-allocator.js';

function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('pickFreePort', () => {
  it('picks only ports outside the excluded set, across the whole range', () => {
    const taken = new Set([100, 101, 103]);
    expect(pickFreePort(100, 104, (p) => taken.has(p), () => 0)).toBe(102);
    expect(pickFreePort(100, 104, (p) => taken.has(p), () => 0.999)).toBe(104);
    expect(pickFreePort(100, 102, () => true, () => 0.5)).toBeUndefined();
  });
});

describe('PortAllocator', () => {
  it('skips ports that are busy on the host', async () => {
    const checked: number[] = [];
    const alloc = new PortAllocator({
      start: 20000, end: 20002, bindAddress: '127.0.0.1', random: seq(0),
      isFree: async (port) => {
        checked.push(port);
        return port === 20002;
      },
    });
    expect(await alloc.pick(new Set())).toBe(20002);
    expect(checked).toEqual([20000, 20001, 20002]);
  });

  it('never proposes a port already in the store or to avoid', async () => {
    const alloc = new PortAllocator({ start: 1, end: 4, bindAddress: '127.0.0.1', random: seq(0), isFree: async () => true });
    expect(await alloc.pick(new Set([1, 2]), new Set([3]))).toBe(4);
  });

  it('answers PORTS_EXHAUSTED with the range when nothing is left', async () => {
    const alloc = new PortAllocator({ start: 30000, end: 30001, bindAddress: '127.0.0.1', isFree: async () => true });
    const error = await alloc.pick(new Set([30000, 30001])).catch((e: unknown) => e);
    expect(isBerthError(error) && error.code).toBe('PORTS_EXHAUSTED');
    expect((error as Error).message).toContain('30000-30001');
  });

  it('gives up after too many host-busy candidates', async () => {
    const alloc = new PortAllocator({ start: 1000, end: 2000, bindAddress: '127.0.0.1', isFree: async () => false, maxHostBusy: 5 });
    const error = await alloc.pick(new Set()).catch((e: unknown) => e);
    expect(isBerthError(error) && error.code).toBe('PORTS_EXHAUSTED');
    expect((error as Error).message).toMatch(/6 more are busy on the host/);
  });
});
