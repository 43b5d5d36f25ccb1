import { describe, expect, it } from 'vitest';
import { markdownTable, ms, times } from './table.js';

describe('bench tables', () => {
  it('aligns columns and escapes pipes', () => {
    const table = markdownTable(['side', 'median'], [['raw', '12 ms'], ['a|b', undefined]]);
    expect(table.split('\n')).toEqual([
      '| side | median |',
      '| ---- | -----: |',
      '| raw  |  12 ms |',
      '| a\\|b |      – |',
    ]);
  });

  it('formats durations and ratios, with a dash for missing figures', () => {
    expect(ms(12.34)).toBe('12.3 ms');
    expect(ms(1234)).toBe('1234 ms');
    expect(ms(12_345)).toBe('12.3 s');
    expect(ms(Number.NaN)).toBe('–');
    expect(times(1.104)).toBe('1.10×');
    expect(times(undefined)).toBe('–');
  });
});
