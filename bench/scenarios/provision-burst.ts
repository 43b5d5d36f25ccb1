import { mapLimit } from '../lib/map-limit.js';
import { ratioTable, type SideRow } from '../lib/ratio-table.js';
import type { Section } from '../lib/report.js';
import { presentSides, type SideName, type Sides } from '../lib/sides.js';
import { summarize } from '../lib/stats.js';
import type { Tenant } from '../lib/tenant-spec.js';
import { timed } from '../lib/timed.js';

export interface BurstLevel {
  n: number;
  concurrency: number;
}

/**
 * Scenario 2: N creates with `concurrency` in flight; wall time until all are healthy, the
 * per-tenant times, and errors. Each side's batch is removed (untimed) before the next runs;
 * the side order alternates between levels so neither always goes first.
 */
export async function runBurst(
  sides: Sides, levels: BurstLevel[], name: (side: SideName, i: number) => string, log: (line: string) => void,
  beforeSide: () => Promise<void> = async () => undefined,
): Promise<Section[]> {
  const sections: Section[] = [];
  let present = presentSides(sides);
  for (const level of levels) {
    const rows: SideRow[] = [];
    for (const [side, p] of present) {
      await beforeSide();
      const names = Array.from({ length: level.n }, (_, i) => name(side, i));
      const failures: string[] = [];
      const started = performance.now();
      const results = await mapLimit(names, level.concurrency, (tenant) => timed(() => p.provision(tenant)));
      const wallMs = performance.now() - started;
      const ok = results.filter((r) => !r.error);
      for (const r of results) if (r.error) failures.push(r.error.message);
      rows.push({ side, n: level.n, errors: failures.length, wallMs, summary: summarize(ok.map((r) => r.ms)) });
      log(`  burst c=${level.concurrency}: ${side} ${ok.length}/${level.n} healthy in ${Math.round(wallMs)} ms${failures.length ? `; first error: ${failures[0]}` : ''}`);
      await mapLimit(ok, 10, (r) => p.remove(r.value as Tenant).catch((error: Error) => log(`  burst cleanup ${side}: ${error.message}`)));
    }
    sections.push({
      id: `provision-burst-c${level.concurrency}`,
      title: `2. Provision, burst (N = ${level.n}, concurrency ${level.concurrency}): wall time to all healthy`,
      notes: ['ratios are of wall times; median/p99 are per tenant', 'target: berth ≤ 1.15× raw with zero errors'],
      table: ratioTable(rows, { byWall: true }),
      data: { ...level, rows },
    });
    present = [...present].reverse();
  }
  return sections;
}
