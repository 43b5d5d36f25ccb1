import { describe, expect, it } from 'vitest';
import { median, percentile, ratio, summarize } from './stats.js';

describe('bench stats', () => {
  it('takes the nearest-rank percentile, so p99 of a small sample is its maximum', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 99)).toBe(5);
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 1)).toBe(1);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('takes the median of odd and even samples without reordering the input', () => {
    const values = [9, 1, 5];
    expect(median(values)).toBe(5);
    expect(values).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reports missing values as NaN rather than zero', () => {
    expect(summarize([]).median).toBeNaN();
    expect(ratio(10, undefined)).toBeNaN();
    expect(ratio(10, 0)).toBeNaN();
    expect(ratio(15, 10)).toBe(1.5);
  });
});
