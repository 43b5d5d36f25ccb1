import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '../common/clock.js';

/** Files `berth server start` keeps in the data dir. */
export interface ServerFiles {
  dataDir: string;
  pidFile: string;
  /** The address the daemon answers at, written by `server start` once it is ready. */
  urlFile: string;
  logFile: string;
  tokenFile: string;
}

export function serverFiles(dataDir: string): ServerFiles {
  return {
    dataDir,
    pidFile: path.join(dataDir, 'berth.pid'),
    urlFile: path.join(dataDir, 'berth.url'),
    logFile: path.join(dataDir, 'berth.log'),
    tokenFile: path.join(dataDir, 'admin.token'),
  };
}

export type PidState =
  | { state: 'none' }
  | { state: 'running'; pid: number; /** Where it listens, once `server start` saw it ready. */ url?: string }
  | { state: 'stale'; pid: number | undefined };

/**
 * Reads the pid file and tells whether the daemon it names is alive. A pid that is gone, a
 * zombie, or reused by another program makes the file stale. Next to it, berth.url holds the
 * address (a plain pid file stays readable by service managers), so every command finds the
 * daemon on whatever port it was started.
 */
export function readPidFile(files: ServerFiles): PidState {
  let text: string;
  try {
    text = readFileSync(files.pidFile, 'utf8').trim();
  } catch {
    return { state: 'none' };
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1) return { state: 'stale', pid: undefined };
  if (!isBerthDaemon(pid)) return { state: 'stale', pid };
  let recorded: string[] = [];
  try {
    recorded = readFileSync(files.urlFile, 'utf8').trim().split('\n');
  } catch {
    // started by an older berth, or not ready yet
  }
  const [forPid, url] = recorded;
  return url && Number(forPid) === pid && /^https?:\/\//.test(url) ? { state: 'running', pid, url } : { state: 'running', pid };
}

/** Writes the address the daemon answers at next to its pid file (`<pid>\n<url>\n`). */
export function recordUrl(files: ServerFiles, pid: number, url: string): void {
  writeFileSync(files.urlFile, `${pid}\n${url}\n`, { mode: 0o644 });
}

/** The URL of the running daemon `berth server start` recorded in this data dir, if any. */
export function recordedUrl(dataDir: string): string | undefined {
  const state = readPidFile(serverFiles(dataDir));
  return state.state === 'running' ? state.url : undefined;
}

export function removePidFile(files: ServerFiles): void {
  rmSync(files.pidFile, { force: true });
  rmSync(files.urlFile, { force: true });
}

/** Alive, not a zombie, and (where /proc tells) running `berth serve`. */
export function isBerthDaemon(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    return readFileSync(cmdline, 'utf8').split('\0').includes('serve');
  } catch {
    return true;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has exited; only its parent has not reaped it yet (PID 1 in some containers never does).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export interface SpawnedDaemon {
  pid: number;
  /** Resolves with the exit code if the daemon exits while we still watch it. */
  exited: Promise<number | null>;
  /** The log file's size before this start: the new daemon's output begins there. */
  logOffset: number;
}

/**
 * Starts `berth serve` in the background: its own session (it outlives this shell), stdout and
 * stderr appended to the log file, the pid written to the pid file.
 */
export function spawnDaemon(files: ServerFiles, serveArgs: string[], env: Record<string, string | undefined>, cwd: string): SpawnedDaemon {
  const logOffset = existsSync(files.logFile) ? statSync(files.logFile).size : 0;
  const fd = openSync(files.logFile, 'a', 0o600);
  const bin = realpathSync(process.argv[1] ?? '');
  let child;
  try {
    child = spawn(process.execPath, [bin, 'serve', ...serveArgs], {
      cwd,
      // The log file is for `server logs` and machines: JSON whatever the terminal or config says.
      env: { ...env, BERTH_DATA_DIR: files.dataDir, BERTH_LOG_FORMAT: 'json' },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error('could not start berth serve');
  writeFileSync(files.pidFile, `${child.pid}\n`, { mode: 0o644 });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.unref();
  return { pid: child.pid, exited, logOffset };
}

/** What the daemon wrote to the log since `offset`. */
export function readLogSince(files: ServerFiles, offset: number): string {
  try {
    const all = readFileSync(files.logFile);
    return all.subarray(Math.min(offset, all.length)).toString('utf8');
  } catch {
    return '';
  }
}

/** The URL from the daemon's "berth is ready" log line, if it has written it. */
export function readyUrlFromLog(log: string): string | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes('berth is ready')) continue;
    try {
      const entry = JSON.parse(line) as { url?: unknown };
      if (typeof entry.url === 'string') return entry.url;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/**
 * SIGTERM, then wait up to `graceMs` for a clean exit (the daemon finishes in-flight requests),
 * then SIGKILL. Returns how it ended.
 */
export async function terminate(pid: number, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  for (let i = 0; i < 50 && isAlive(pid); i += 1) await sleep(100);
  return 'killed';
}
