import { describe, expect, it } from 'vitest';
import { prettyDestination, wantPretty } from './log-format.js';
import { makeColors } from './output.js';

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless BERTH_LOG_FORMAT forces one', () => {
    expect(wantPretty('auto', true)).toBe(true);
    expect(wantPretty('auto', false)).toBe(false);
    expect(wantPretty(undefined, undefined)).toBe(false);
    expect(wantPretty('json', true)).toBe(false);
    expect(wantPretty('pretty', false)).toBe(true);
  });

  it('writes each JSON line as a readable one', () => {
    let out = '';
    const dest = prettyDestination({ write: (t: string) => (out += t) }, makeColors(false));
    dest.write(`${JSON.stringify({ level: 30, time: Date.parse('2030-01-01T00:00:00Z'), svc: 'berth', msg: 'berth is ready', url: 'http://127.0.0.1:8081' })}\n`);
    expect(out).toBe('2030-01-01 00:00:00.000 INFO  berth is ready url=http://127.0.0.1:8081\n');
  });
});
