import { execFile, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** Kills every command still running (Ctrl-C: no `docker run` may land after the sweep). */
export function killRunningCommands(): number {
  for (const child of running) child.kill('SIGKILL');
  return running.size;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell (arguments are never interpreted); rejects with its stderr. */
export function execCommand(file: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 180_000, env: options.env ?? process.env, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = String(stderr).trim().split('\n').slice(-3).join(' | ') || error.message;
        reject(new Error(`${file} ${args.slice(0, 3).join(' ')}… failed: ${detail}`));
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      }
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
  });
}
