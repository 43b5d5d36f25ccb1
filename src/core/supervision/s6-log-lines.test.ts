import { describe, expect, it } from 'vitest';
import { parseS6LogLine, splitLogChunk } from './s6-log-lines.js';

describe('s6-log lines', () => {
  it('reads the T (ISO 8601) prefix', () => {
    expect(parseS6LogLine('2026-11-29 20:42:52.713594426  tick 3')).toEqual({ time: '2026-11-29T20:42:52.713Z', text: 'tick 3' });
  });
  it('reads the t (TAI64N) prefix', () => {
    // 0x6b0c8e6f - 37 s = 1795984970 (2026-11-29T20:42:50Z)
    expect(parseS6LogLine('@400000006b0c8e6f2aeeb6d3 hello')).toEqual({ time: '2026-11-29T20:42:50.720Z', text: 'hello' });
  });
  it('keeps lines without a prefix', () => {
    expect(parseS6LogLine('plain')).toEqual({ time: '', text: 'plain' });
  });
  it('splits a chunk and keeps a partial last line', () => {
    const { lines, partial } = splitLogChunk('a\nb\nc');
    expect(lines.map((l) => l.text)).toEqual(['a', 'b']);
    expect(partial).toBe('c');
  });
});
