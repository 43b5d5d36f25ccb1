import { describe, expect, it } from 'vitest';
import { AuthFailureGuard } from './auth-failure-guard.js';

describe('AuthFailureGuard', () => {
  it('blocks an address after maxFailures within the window, for one window, then forgets', () => {
    let now = 1_000_000;
    const guard = new AuthFailureGuard({ maxFailures: 3, windowMs: 60_000, now: () => now });
    expect(guard.failed('1.2.3.4')).toBe(0);
    expect(guard.failed('1.2.3.4')).toBe(0);
    expect(guard.failed('1.2.3.4')).toBe(60_000);
    expect(guard.blockedFor('1.2.3.4')).toBe(60_000);
    expect(guard.blockedFor('5.6.7.8')).toBe(0);
    now += 59_000;
    // Failing while blocked does not extend the block.
    expect(guard.failed('1.2.3.4')).toBe(1_000);
    now += 1_000;
    expect(guard.blockedFor('1.2.3.4')).toBe(0);
    expect(guard.failed('1.2.3.4')).toBe(0);
  });

  it('failures spread wider than the window never block', () => {
    let now = 0;
    const guard = new AuthFailureGuard({ maxFailures: 2, windowMs: 10_000, now: () => now });
    expect(guard.failed('a')).toBe(0);
    now += 10_000;
    expect(guard.failed('a')).toBe(0);
    now += 10_000;
    expect(guard.failed('a')).toBe(0);
    expect(guard.failed('a')).toBe(10_000);
  });
});
