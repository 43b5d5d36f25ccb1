import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { planFor } from './plan.js';

describe('bench arguments', () => {
  it('defaults to the full mode with every scenario and side', () => {
    const args = parseArgs([]);
    expect(args.mode).toBe('full');
    expect(args.scenarios.size).toBe(8);
    expect([...args.targets]).toEqual(['berth', 'swarm', 'raw', 'cli', 'compose']);
  });

  it('splits --only into sides and scenarios, each defaulting to all when not named', () => {
    const baselines = parseArgs(['--quick', '--only', 'raw,cli,compose']);
    expect(baselines.mode).toBe('quick');
    expect([...baselines.targets]).toEqual(['raw', 'cli', 'compose']);
    expect(baselines.scenarios.size).toBe(8);
    const one = parseArgs(['--only=berth,reads']);
    expect([...one.targets]).toEqual(['berth']);
    expect([...one.scenarios]).toEqual(['reads']);
  });

  it('rejects unknown names and bad counts with the usage', () => {
    expect(() => parseArgs(['--only', 'rwa'])).toThrow(/unknown rwa[\s\S]*Usage/);
    expect(() => parseArgs(['--count', '0'])).toThrow(/positive integer/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('applies --count to every scenario and never bursts wider than the count', () => {
    const plan = planFor(parseArgs(['--count', '15']));
    expect(plan.sequential).toBe(15);
    expect(plan.population).toBe(15);
    expect(plan.burst).toEqual([{ n: 15, concurrency: 10 }, { n: 15, concurrency: 15 }]);
    expect(planFor(parseArgs(['--quick', '--count', '5'])).burst).toEqual([{ n: 5, concurrency: 5 }]);
  });
});
