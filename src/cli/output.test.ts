import { describe, expect, it } from 'vitest';
import { colorWanted, makeColors, renderPairs, renderTable, visibleWidth } from './output.js';
import { formatAge, formatBytes, paintStatus } from './format.js';
import { formatLogLine } from './log-format.js';

const plain = makeColors(false);
const colour = makeColors(true);

describe('output', () => {
  it('aligns columns by what is visible, ignoring colour codes, and right-aligns numbers', () => {
    const rows = [{ n: 'acme', s: 'running', r: 0 }, { n: 'a-much-longer-name', s: 'crashloop', r: 12 }];
    const columns = [
      { header: 'name', value: (x: (typeof rows)[number]) => x.n },
      { header: 'status', value: (x: (typeof rows)[number]) => paintStatus(x.s, colour) },
      { header: 'restarts', value: (x: (typeof rows)[number]) => String(x.r), right: true },
    ];
    const lines = renderTable(columns, rows, plain).split('\n');
    expect(lines).toEqual([
      'NAME                 STATUS      RESTARTS',
      'acme                 \x1b[32mrunning\x1b[39m            0',
      'a-much-longer-name   \x1b[31mcrashloop\x1b[39m         12',
    ]);
    expect(lines.map(visibleWidth)).toEqual([41, 41, 41]);
  });

  it('colours only a terminal, and never with NO_COLOR or TERM=dumb', () => {
    expect(colorWanted({ isTTY: true }, {})).toBe(true);
    expect(colorWanted({ isTTY: false }, {})).toBe(false);
    expect(colorWanted({}, {})).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('renders aligned key: value pairs', () => {
    expect(renderPairs([['name', 'acme'], ['host port', '20001']], plain)).toBe('name:      acme\nhost port: 20001');
  });

  it('formats ages and sizes as docker does', () => {
    const now = Date.parse('2030-01-01T12:00:00Z');
    expect(formatAge('2030-01-01T11:59:55Z', now)).toBe('5s');
    expect(formatAge('2030-01-01T11:00:00Z', now)).toBe('1h');
    expect(formatAge('2029-12-30T13:00:00Z', now)).toBe('47h');
    expect(formatAge('2029-12-30T12:00:00Z', now)).toBe('2d');
    expect(formatAge('2029-12-01T12:00:00Z', now)).toBe('31d');
    expect(formatAge(null, now)).toBe('-');
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(536870912)).toBe('512.0MiB');
    expect(formatBytes(undefined)).toBe('-');
  });

  it('turns the daemon\'s JSON log lines into readable ones and passes other lines through', () => {
    const line = JSON.stringify({ level: 40, time: Date.parse('2030-01-01T12:00:00.123Z'), svc: 'berth', pid: 1, msg: 'probe failed', instance: 'acme', ms: 12 });
    expect(formatLogLine(line, plain)).toBe('2030-01-01 12:00:00.123 WARN  probe failed instance=acme ms=12');
    expect(formatLogLine('Error: boom', plain)).toBe('Error: boom');
    expect(formatLogLine('[1,2]', plain)).toBe('[1,2]');
  });
});
