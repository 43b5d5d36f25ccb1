import type Docker from 'dockerode';
import type { PortPool } from '../lib/port-pool.js';
import { BENCH_LABEL } from '../lib/tenant-spec.js';

/** What every baseline shares within one run. */
export interface BenchContext {
  runId: string;
  docker: Docker;
  ports: PortPool;
  /** Temporary files (compose files, data dirs) live under here. */
  workDir: string;
  log: (line: string) => void;
}

/** Labels on everything a baseline makes: the run's sweep label plus which side made it. */
export function benchLabels(ctx: BenchContext, side: string, tenant?: string): Record<string, string> {
  return { [BENCH_LABEL]: ctx.runId, 'berth.bench.side': side, ...(tenant ? { 'berth.bench.tenant': tenant } : {}) };
}
