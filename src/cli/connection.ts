import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usageError } from './exit-codes.js';
import { recordedUrl } from './server-control.js';

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
  /** Where the URL came from, for error hints. */
  urlSource?: string;
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

/** The URL a client on this host uses for a daemon listening on host:port (wildcards → loopback). */
export function listenUrl(host: string, port: number | string): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * The daemon's URL: --url, then BERTH_URL, then the address the daemon started by `berth
 * server start` in the local data dir recorded, then BERTH_HOST/BERTH_PORT (the settings
 * `berth serve` itself reads), then the default.
 */
export function resolveUrl(globals: GlobalOptions, env: Env, dataDir: string): { raw: string; source: string } {
  if (globals.url) return { raw: globals.url, source: '--url' };
  if (env.BERTH_URL) return { raw: env.BERTH_URL, source: 'BERTH_URL' };
  const recorded = recordedUrl(dataDir);
  if (recorded) return { raw: recorded, source: path.join(dataDir, 'berth.url') };
  if (env.BERTH_HOST || env.BERTH_PORT) return { raw: listenUrl(env.BERTH_HOST || '127.0.0.1', env.BERTH_PORT || 8081), source: 'BERTH_HOST/BERTH_PORT' };
  return { raw: DEFAULT_URL, source: 'default' };
}

/**
 * Where the daemon is (see resolveUrl) and how to authenticate: the token from
 * --token / BERTH_TOKEN / the admin token file in the local data dir (readable only by the
 * user who runs the daemon, which is the point).
 */
export function resolveConnection(globals: GlobalOptions, env: Env, cwd = process.cwd()): Connection {
  const dataDir = resolveDataDir(globals, env, cwd);
  const { raw, source: urlSource } = resolveUrl(globals, env, dataDir);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--url: ${raw} is not a URL`, 'use e.g. http://127.0.0.1:8081');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--url: ${raw} must be http:// or https://`);
  const base = url.toString().replace(/\/+$/, '');
  const at = { url: base, urlSource, dataDir };
  if (globals.token) return { ...at, token: globals.token, tokenSource: '--token' };
  if (env.BERTH_TOKEN) return { ...at, token: env.BERTH_TOKEN, tokenSource: 'BERTH_TOKEN' };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    return { ...at, token: token || undefined, tokenSource: file };
  } catch {
    return { ...at, token: undefined, tokenSource: 'none' };
  }
}
