import { describe, expect, it } from 'vitest';
import { curveRows } from './curve.js';

const entry = (n: number, cpu: number, at: string) => ({
  runId: at, mode: 'full', startedAt: at, loadAvg: 1,
  metrics: { 'probe-load.instances': n, 'probe-load.load.cpuPercentOfOneCore': cpu, 'boot.readyMs': 500 },
});

describe('scale curve', () => {
  it('takes the newest run per population size, smallest first, with CPU per instance', () => {
    const rows = curveRows([entry(500, 4, '2026-01-02T00:00'), entry(50, 1, '2026-01-01T00:00'), entry(500, 2, '2026-01-03T00:00')]);
    expect(rows.map((r) => r[0])).toEqual([50, 500]);
    expect(rows[1]![1]).toBe('2.00 %');
    // 2 % of a core over 500 instances: 0.04 ms of CPU per instance per second.
    expect(rows[1]![2]).toBe('0.040 ms/s');
  });
});
