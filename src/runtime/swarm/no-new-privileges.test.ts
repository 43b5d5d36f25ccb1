import { describe, expect, it } from 'vitest';
import { noNewPrivsOf } from './no-new-privileges.js';

describe('no-new-privileges measured from /proc/1/status', () => {
  it('reads the NoNewPrivs line', () => {
    expect(noNewPrivsOf('Name:\tnode\nUid:\t65534\nNoNewPrivs:\t1\nSeccomp:\t2\n')).toBe('enforced');
    expect(noNewPrivsOf('Name:\tnode\nNoNewPrivs:\t0\n')).toBe('off');
    expect(noNewPrivsOf('Name:\tnode\n')).toBe('unknown');
  });
});
