import { describe, expect, it } from 'vitest';
import { decodeS6Status } from './s6-status.js';

/**
 * Captured from Debian's s6 2.11.3 in berth/s6-agent: the status file's bytes, the
 * container's clock (unix seconds) and what `s6-svstat` printed at that moment.
 */
const CAPTURES = [
  { hex: '400000006b0c8e6f2aeeb6d3400000006b0c8e6f2aa0c52d0000000000000011000004', now: 1795985006, normallyUp: true, svstat: 'up (pid 17) 35 seconds' },
  { hex: '400000006b0c8e93224b61c0400000006b0c8e93256f83950000000000000000000f08', now: 1795985008, normallyUp: true, svstat: 'down (signal SIGTERM) 1 seconds, normally up, ready 1 seconds' },
  { hex: '400000006b0c8e95190f277e400000006b0c8e951932dc75000000000000000003000c', now: 1795985009, normallyUp: true, svstat: 'down (exitcode 3) 0 seconds, normally up, want up, ready 0 seconds' },
  { hex: '400000006b0c8e9622198c1d400000006b0c8e951932dc750000000000000126030004', now: 1795985012, normallyUp: true, svstat: 'up (pid 294) 2 seconds' },
  { hex: '400000006b0c8e6f2a6c632d400000006b0c8e6f2a58f53e000000000000000f000005', now: 1795985012, normallyUp: true, svstat: 'up (pid 15) 41 seconds, paused' },
  { hex: '400000006b0c8e9a21194144400000006b0c8e9a28daa8810000000000000000000f08', now: 1795985014, normallyUp: false, svstat: 'down (signal SIGTERM) 1 seconds, ready 1 seconds' },
  { hex: '400000006b0c8e9c25d6b0a6400000006b0c8e9a28daa8810000000000000171000f04', now: 1795985016, normallyUp: false, svstat: 'up (pid 369) 0 seconds, normally down' },
];

/** `date +%s` truncates, so the capture's "now" sits anywhere in its second: accept ±1 s. */
function sameLine(actual: string, expected: string): boolean {
  const norm = (s: string): string => s.replace(/\d+ seconds/g, 'N seconds');
  const secs = (s: string): number[] => [...s.matchAll(/(\d+) seconds/g)].map((m) => Number(m[1]));
  return norm(actual) === norm(expected) && secs(actual).every((n, i) => Math.abs(n - (secs(expected)[i] ?? -99)) <= 1);
}

describe('decodeS6Status', () => {
  it.each(CAPTURES)('matches s6-svstat: $svstat', ({ hex, now, normallyUp, svstat }) => {
    const status = decodeS6Status(Buffer.from(hex, 'hex'), now * 1000 + 500, normallyUp);
    expect(sameLine(status.raw, svstat), `${status.raw} vs ${svstat}`).toBe(true);
  });

  it('decodes the fields of an up service', () => {
    const s = decodeS6Status(Buffer.from(CAPTURES[0]!.hex, 'hex'), 1795985006_500, true);
    expect(s).toMatchObject({ state: 'up', pid: 17, wantUp: true, ready: false, paused: false, exitCode: null, signal: null, normallyUp: true });
  });

  it('decodes an exit code and a signal of a down service', () => {
    const crashed = decodeS6Status(Buffer.from(CAPTURES[2]!.hex, 'hex'), 1795985009_500, true);
    expect(crashed).toMatchObject({ state: 'down', pid: null, exitCode: 3, signal: null, wantUp: true });
    const stopped = decodeS6Status(Buffer.from(CAPTURES[1]!.hex, 'hex'), 1795985008_500, true);
    expect(stopped).toMatchObject({ state: 'down', exitCode: null, signal: 'SIGTERM', wantUp: false });
  });

  it('reports a finishing service and reads the 43-byte layout (with a process group)', () => {
    const base = Buffer.from(CAPTURES[3]!.hex, 'hex');
    const wide = Buffer.concat([base.subarray(0, 32), Buffer.from('0000000000000126', 'hex'), base.subarray(32, 34), Buffer.from([0x06])]);
    const s = decodeS6Status(wide, 1795985012_500, true);
    expect(s).toMatchObject({ state: 'finishing', pid: null, exitCode: 3 });
  });

  it('rejects a file of the wrong size', () => {
    expect(() => decodeS6Status(Buffer.alloc(10), 0, true)).toThrow(/35 or 43/);
  });
});
