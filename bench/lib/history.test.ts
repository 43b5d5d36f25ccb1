import { describe, expect, it } from 'vitest';
import { compare, flatten, higherIsBetter } from './history.js';

describe('bench history', () => {
  it('flattens every number in section data by path, naming array rows by their label', () => {
    const metrics = flatten([
      { id: 'sequential', data: [{ side: 'berth', medianMs: 400, p95Ms: 500 }, { side: 'raw', medianMs: 380 }] },
      { id: 'memory', data: { idleRssBytes: 8e7, note: 'text is skipped', nested: { n: 3 } } },
      { id: 'reads', data: [{ url: '/v1/instances', rps: 2000 }, [1, 2]] },
    ]);
    expect(metrics).toEqual({
      'sequential.berth.medianMs': 400, 'sequential.berth.p95Ms': 500, 'sequential.raw.medianMs': 380,
      'memory.idleRssBytes': 8e7, 'memory.nested.n': 3,
      'reads./v1/instances.rps': 2000, 'reads.1.0': 1, 'reads.1.1': 2,
    });
  });

  it('compares the figures both runs have, biggest change first, marking the bad direction past the threshold', () => {
    const changes = compare(
      { 'a.medianMs': 100, 'b.rps': 1000, 'c.medianMs': 100, 'gone.ms': 5 },
      { 'a.medianMs': 130, 'b.rps': 700, 'c.medianMs': 50, 'new.ms': 1 },
    );
    expect(changes.map((c) => c.metric)).toEqual(['c.medianMs', 'b.rps', 'a.medianMs']);
    expect(changes.find((c) => c.metric === 'a.medianMs')).toMatchObject({ ratio: 1.3, worse: true });
    expect(changes.find((c) => c.metric === 'b.rps')).toMatchObject({ worse: true });
    expect(changes.find((c) => c.metric === 'c.medianMs')).toMatchObject({ ratio: 0.5, worse: false });
    expect(higherIsBetter('reads.x.rps')).toBe(true);
    expect(higherIsBetter('reads.x.requestsPerSecond')).toBe(true);
    expect(higherIsBetter('reads.x.p99Ms')).toBe(false);
  });
});
