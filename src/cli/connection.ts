import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usageError } from './exit-codes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8081';
export const ADMIN_TOKEN_FILE = 'admin.token';

/** The options every command inherits from `berth`. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  dataDir?: string;
}

export interface Connection {
  /** Base URL without a trailing slash. */
  url: string;
  token: string | undefined;
  /** Where the token came from, for error hints. */
  tokenSource: string;
  dataDir: string;
}

type Env = Record<string, string | undefined>;

/** The local data dir: --data-dir, then BERTH_DATA_DIR, then ./data (as `berth serve`). */
export function resolveDataDir(globals: GlobalOptions, env: Env, cwd = process.cwd()): string {
  return path.resolve(cwd, globals.dataDir ?? (env.BERTH_DATA_DIR || './data'));
}

/**
 * Where the daemon is and how to authenticate: --url / BERTH_URL / the default; the token from
 * --token / BERTH_TOKEN / the admin token file in the local data dir (readable only by the
 * user who runs the daemon, which is the point).
 */
export function resolveConnection(globals: GlobalOptions, env: Env, cwd = process.cwd()): Connection {
  const raw = globals.url ?? (env.BERTH_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--url: ${raw} is not a URL`, 'use e.g. http://127.0.0.1:8081');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--url: ${raw} must be http:// or https://`);
  const base = url.toString().replace(/\/+$/, '');
  const dataDir = resolveDataDir(globals, env, cwd);
  if (globals.token) return { url: base, token: globals.token, tokenSource: '--token', dataDir };
  if (env.BERTH_TOKEN) return { url: base, token: env.BERTH_TOKEN, tokenSource: 'BERTH_TOKEN', dataDir };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    return { url: base, token: token || undefined, tokenSource: file, dataDir };
  } catch {
    return { url: base, token: undefined, tokenSource: 'none', dataDir };
  }
}
