import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { TenantProbeSlots } from './tenant-probe-slots.js';

const ticks = async (n = 10) => { for (let i = 0; i < n; i++) await Promise.resolve(); };

describe('TenantProbeSlots', () => {
  it('caps one tenant inside the global cap, leaving global slots for the others', async () => {
    const global = new ConcurrencyLimiter(4);
    const slots = new TenantProbeSlots(2);
    const hang: Array<() => void> = [];
    const started: string[] = [];
    const probe = (tenant: string, id: string) => slots.run(tenant, () => global.run(async () => {
      started.push(id);
      await new Promise<void>((resolve) => hang.push(resolve));
    }));
    const hogs = Array.from({ length: 32 }, (_, i) => probe('hog', `hog-${i}`));
    const calm = probe('calm', 'calm-0');
    await ticks();
    expect(started.filter((s) => s.startsWith('hog'))).toHaveLength(2);
    expect(started).toContain('calm-0');
    expect(global.active).toBe(3);
    for (const release of hang.splice(0)) release();
    await calm;
    await ticks();
    expect(started.filter((s) => s.startsWith('hog'))).toHaveLength(4);
    while (hang.length) {
      for (const release of hang.splice(0)) release();
      await ticks();
    }
    await Promise.all(hogs);
    expect(global.highWater).toBeLessThanOrEqual(3);
  });
});
