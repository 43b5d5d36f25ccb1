import type { BenchArgs } from './args.js';
import type { BurstLevel } from '../scenarios/provision-burst.js';

/** The counts a run uses; printed before it starts and stored with the results. */
export interface BenchPlan {
  sequential: number;
  burst: BurstLevel[];
  recoverPopulation: number;
  /** Target population for probe load, reads, boot and memory (capped by memory at run time). */
  population: number;
  probeWindowSeconds: number;
  probeIntervalSeconds: number;
  readsSeconds: number;
  readsConnections: number;
}

export function planFor(args: BenchArgs): BenchPlan {
  const quick = args.mode === 'quick';
  const plan: BenchPlan = quick
    ? {
      sequential: 8,
      burst: [{ n: 10, concurrency: 10 }, { n: 20, concurrency: 20 }],
      recoverPopulation: 20,
      population: 50,
      probeWindowSeconds: 30,
      probeIntervalSeconds: 10,
      readsSeconds: 5,
      readsConnections: 10,
    }
    : {
      sequential: 30,
      burst: [{ n: 50, concurrency: 10 }, { n: 50, concurrency: 50 }],
      recoverPopulation: 50,
      population: 500,
      probeWindowSeconds: 120,
      probeIntervalSeconds: 10,
      readsSeconds: 20,
      readsConnections: 10,
    };
  if (args.count !== undefined) {
    const n = args.count;
    plan.sequential = n;
    const levels = plan.burst.map((l) => Math.min(l.concurrency, n));
    plan.burst = [...new Set(levels)].map((concurrency) => ({ n, concurrency }));
    plan.recoverPopulation = n;
    plan.population = n;
  }
  return plan;
}
