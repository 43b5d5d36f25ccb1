import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { TokenService } from './token-service.js';

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * On first boot (no admin token in the store) creates one and writes it, once, to
 * `<dataDir>/admin.token` with mode 0600. Only its hash is stored. Returns the file path.
 */
export async function ensureAdminToken(tokens: TokenService, dataDir: string): Promise<{ file: string; created: boolean }> {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  if ((await tokens.hasAdmin()) > 0) {
    if (existsSync(file)) chmodSync(file, 0o600);
    return { file, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const name = existsSync(file) && readFileSync(file, 'utf8').trim() ? `admin-${Date.now()}` : 'admin';
  const { token } = await tokens.create(name, 'admin', null);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { file, created: true };
}
