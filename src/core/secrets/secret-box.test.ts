import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecretKey, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips values and never stores them in clear', () => {
    const sealed = box.seal({ OPENAI_API_KEY: 'sk-very-secret' });
    expect(sealed).not.toContain('sk-very-secret');
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(box.open(sealed)).toEqual({ OPENAI_API_KEY: 'sk-very-secret' });
    // A fresh IV each time: equal values seal differently.
    expect(box.seal({ A: '1' })).not.toBe(box.seal({ A: '1' }));
  });

  it('refuses tampered data and a different key', () => {
    const sealed = box.seal({ A: 'x' });
    const parts = sealed.split(':');
    const data = Buffer.from(parts[3]!, 'base64url');
    data[0] = data[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], data.toString('base64url')].join(':'))).toThrow(/secret.key/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow(/does not match/);
  });

  it('digests by content, independent of key order, and by key', () => {
    expect(box.digest({ A: '1', B: '2' })).toBe(box.digest({ B: '2', A: '1' }));
    expect(box.digest({ A: '1' })).not.toBe(box.digest({ A: '2' }));
    expect(new SecretBox(randomBytes(32)).digest({ A: '1' })).not.toBe(box.digest({ A: '1' }));
  });
});

describe('loadOrCreateSecretKey', () => {
  it('creates a 0600 key once and reads the same key after', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-key-'));
    const first = loadOrCreateSecretKey(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSecretKey(dir);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('rejects a key file of the wrong size', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-key-'));
    writeFileSync(path.join(dir, 'secret.key'), Buffer.from('short').toString('base64'), { mode: 0o600 });
    expect(() => loadOrCreateSecretKey(dir)).toThrow(/32-byte/);
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBeTruthy();
  });
});
