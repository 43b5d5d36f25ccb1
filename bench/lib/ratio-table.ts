import { BASELINES, SIDE_ORDER, type SideName } from './sides.js';
import { ratio, type Summary } from './stats.js';
import { markdownTable, ms, times, type Cell } from './table.js';

export interface SideRow {
  side: SideName;
  label?: string;
  n: number;
  errors: number;
  summary: Summary;
  /** Wall time of the whole batch (burst). */
  wallMs?: number;
}

/**
 * One row per side: median and p99 of the per-tenant times, then ratios of this side to each
 * baseline (medians, or wall times when `byWall`). Ratios under 1.00× mean faster than the baseline.
 */
export function ratioTable(rows: SideRow[], options: { byWall?: boolean } = {}): string {
  const ordered = [...rows].sort((a, b) => SIDE_ORDER.indexOf(a.side) - SIDE_ORDER.indexOf(b.side));
  const baselines = BASELINES.filter((b) => ordered.some((r) => r.side === b));
  const value = (r: SideRow | undefined) => (options.byWall ? r?.wallMs : r?.summary.median);
  const header = ['side', 'n', 'errors', ...(options.byWall ? ['wall'] : []), 'median', 'p99', ...baselines.map((b) => `÷ ${b}`), ...(baselines.includes('raw') ? ['p99 ÷ raw'] : [])];
  const raw = ordered.find((r) => r.side === 'raw');
  const body: Cell[][] = ordered.map((r) => [
    r.label ?? r.side,
    r.n,
    r.errors,
    ...(options.byWall ? [ms(r.wallMs)] : []),
    ms(r.summary.median),
    ms(r.summary.p99),
    ...baselines.map((b) => times(ratio(value(r), value(ordered.find((x) => x.side === b))))),
    ...(baselines.includes('raw') ? [times(ratio(r.summary.p99, raw?.summary.p99))] : []),
  ]);
  return markdownTable(header, body);
}
