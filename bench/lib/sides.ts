import type { Provisioner } from './tenant-spec.js';

/** The sides of the comparison, in the order their rows are printed. */
export const SIDE_ORDER = ['berth', 'swarm', 'raw', 'cli', 'compose'] as const;
export type SideName = (typeof SIDE_ORDER)[number];
export const BASELINES: readonly SideName[] = ['raw', 'cli', 'compose'];

/** Provisioners by side name, for the sides this run measures. */
export type Sides = Partial<Record<SideName, Provisioner>>;

export function presentSides(sides: Sides): Array<[SideName, Provisioner]> {
  return SIDE_ORDER.flatMap((name) => (sides[name] ? [[name, sides[name]] as [SideName, Provisioner]] : []));
}
