import type { BerthConfig } from '../config/schema.js';

/**
 * The config `berth serve` would load with the same environment, file and flags: where it
 * listens and keeps its files. Loaded lazily so commands that only talk HTTP start fast.
 */
export async function loadDaemonConfig(options: {
  env: Record<string, string | undefined>;
  cwd: string;
  configPath?: string | undefined;
  flags: Record<string, string | undefined>;
}): Promise<{ config: BerthConfig; source: string | undefined }> {
  const { loadConfig } = await import('../config/loader.js');
  return loadConfig({ env: options.env, cwd: options.cwd, flags: options.flags, ...(options.configPath ? { configPath: options.configPath } : {}) });
}
