import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '../../common/errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = 'v1';

/**
 * Secrets at rest: AES-256-GCM with one key kept in the data dir. Sealed text is
 * `v1:<iv>:<tag>:<ciphertext>` (base64url); only the runtime ever sees the opened values.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new BerthError('INVALID_CONFIG', `the secret key must be ${KEY_BYTES} bytes`);
  }

  seal(values: Record<string, string>): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(':');
  }

  open(sealed: string): Record<string, string> {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new BerthError('INTERNAL', 'sealed secrets are in an unknown format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      return JSON.parse(text) as Record<string, string>;
    } catch (error) {
      // Wrong key (secret.key replaced) or tampered data: say so without echoing anything.
      throw new BerthError('INTERNAL', 'cannot open sealed secrets: the data dir secret.key does not match the one they were sealed with', { cause: error });
    }
  }

  /** A keyed digest of secret values: compares specs without storing a guessable hash of a secret. */
  digest(values: Record<string, string>): string {
    const canonical = JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
    return createHmac('sha256', this.key).update(canonical).digest('hex');
  }
}

/** Reads `<dataDir>/secret.key`, creating it (0600) on first boot. Safe against two processes racing. */
export function loadOrCreateSecretKey(dataDir: string): { key: Buffer; file: string; created: boolean } {
  const file = path.join(dataDir, 'secret.key');
  let created = false;
  try {
    writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new BerthError('INVALID_CONFIG', `${file} does not hold a ${KEY_BYTES}-byte base64 key`);
  return { key, file, created };
}
