import { describe, expect, it } from 'vitest';
import { MASK, maskSecrets } from './mask-secrets.js';

describe('maskSecrets', () => {
  it('masks every occurrence, longest first, and leaves short values alone', () => {
    expect(maskSecrets('key=sk-abc123 again sk-abc123', ['sk-abc123'])).toBe(`key=${MASK} again ${MASK}`);
    expect(maskSecrets('token sk-abc123-long', ['sk-abc123', 'sk-abc123-long'])).toBe(`token ${MASK}`);
    expect(maskSecrets('on and off', ['on'])).toBe('on and off');
    expect(maskSecrets('nothing here', [])).toBe('nothing here');
  });
});
