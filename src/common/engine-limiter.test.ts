import { describe, expect, it } from 'vitest';
import { EngineLimiter } from './engine-limiter.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('engine limiter', () => {
  it('never runs more than its size at once and reports the peak', async () => {
    const limiter = new EngineLimiter(3);
    let active = 0;
    let max = 0;
    await Promise.all(Array.from({ length: 20 }, () => limiter.run(async () => {
      active++;
      max = Math.max(max, active);
      await tick();
      active--;
    })));
    expect(max).toBe(3);
    expect(limiter.highWater).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });

  it('lets a call made while holding a slot reuse it instead of deadlocking', async () => {
    const limiter = new EngineLimiter(1);
    const inner = await limiter.run(() => limiter.run(async () => 'nested'));
    expect(inner).toBe('nested');
  });

  it('does not hand a released slot to work started inside it later (timers)', async () => {
    const limiter = new EngineLimiter(1);
    let later: Promise<void> | undefined;
    let overlap = false;
    let inside = 0;
    await limiter.run(async () => {
      inside++;
      later = new Promise<void>((resolve) => setTimeout(() => {
        // Started from inside the first slot's context, but after it ended: must queue normally.
        void limiter.run(async () => {
          inside++;
          if (inside > 1) overlap = true;
          await tick();
          inside--;
        }).then(resolve);
      }, 5));
      await tick();
      inside--;
    });
    const blocker = limiter.run(async () => {
      inside++;
      if (inside > 1) overlap = true;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inside--;
    });
    await Promise.all([later, blocker]);
    expect(overlap).toBe(false);
  });
});
