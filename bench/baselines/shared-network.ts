import type { BenchContext } from './bench-context.js';
import { benchLabels } from './bench-context.js';

/**
 * A bridge with inter-container traffic disabled, like berth's shared network: the raw and
 * cli baselines put every tenant on it. The subnet is picked from 10.212.0.0/16 so the
 * engine's default pools (which others' tests use) are not spent.
 */
export async function ensureSharedNetwork(ctx: BenchContext, side: string): Promise<string> {
  const name = `${ctx.runId}-${side}-net`;
  const existing = await ctx.docker.listNetworks({ filters: JSON.stringify({ name: [name] }) });
  if (existing.some((n) => n.Name === name)) return name;
  for (let attempt = 0; attempt < 8; attempt++) {
    const subnet = `10.212.${Math.floor(Math.random() * 256)}.0/24`;
    try {
      await ctx.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
        Labels: benchLabels(ctx, side),
      });
      return name;
    } catch (error) {
      if (!/overlap/i.test((error as Error).message)) throw error;
    }
  }
  throw new Error(`could not find a free /24 in 10.212.0.0/16 for ${name}`);
}

export async function removeNetwork(ctx: BenchContext, name: string): Promise<void> {
  await ctx.docker.getNetwork(name).remove().catch(() => undefined);
}
