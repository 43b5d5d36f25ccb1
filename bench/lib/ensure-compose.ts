import { execCommand } from './exec-command.js';

/**
 * The compose baseline needs Debian's docker-compose (v1). On a fresh machine it is installed
 * with apt-get, saying so; when that is impossible the compose column is left out, saying why.
 */
export async function ensureCompose(log: (line: string) => void): Promise<string | null> {
  const found = await composeVersion();
  if (found) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    log('docker-compose is not installed and the bench is not root: the compose baseline is skipped (install it with `sudo apt-get install docker-compose`).');
    return null;
  }
  log('docker-compose is not installed: installing Debian\'s docker-compose (v1) with apt-get for the compose baseline…');
  try {
    await execCommand('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], { timeoutMs: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    log(`could not install docker-compose (${(error as Error).message}): the compose baseline is skipped.`);
    return null;
  }
  return composeVersion();
}

async function composeVersion(): Promise<string | null> {
  try {
    const { stdout } = await execCommand('docker-compose', ['version', '--short'], { timeoutMs: 30_000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}
