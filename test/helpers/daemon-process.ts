import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testEnv } from './env.js';

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `exited`, or an error with the daemon's output when it has not exited within `timeoutMs`. */
  exitedWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls /ready until 200 or the timeout. */
  waitReady(timeoutMs?: number): Promise<void>;
}

export const BERTH_BIN = path.join(testEnv.root, 'dist/src/bundle/berth.js');

/** Runs the built `berth` binary as a real process (for signals, crashes and exit codes). */
export function spawnBerth(args: string[], env: Record<string, string>, options: { dataDir?: string; port?: number } = {}): DaemonProcess {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'berth-proc-'));
  // Below instances' host ports (20000–30000 by default) and the kernel's ephemeral range (32768+),
  // where an outgoing connection could already hold the port.
  const port = options.port ?? 10000 + Math.floor(Math.random() * 9000);
  const child = spawn(process.execPath, [BERTH_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BERTH_DATA_DIR: dataDir, BERTH_PORT: String(port), DOCKER_HOST: testEnv.dockerHost, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    dataDir,
    output: () => out,
    exited,
    exitedWithin: (timeoutMs) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`berth did not exit within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      void exited.then((e) => { clearTimeout(timer); resolve(e); });
    }),
    async waitReady(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error(`berth exited with ${child.exitCode}:\n${out}`);
        try {
          // Bounded: a listener that accepts and never answers must not hang the wait.
          const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(3000) });
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`berth was not ready within ${timeoutMs} ms:\n${out}`);
    },
  };
}
