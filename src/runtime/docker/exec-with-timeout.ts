import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../runtime-driver.js';
import { demuxStream } from './demux.js';

/** The environment variable that marks every process an exec starts (children inherit it). */
export const EXEC_MARKER = 'BERTH_EXEC_ID';

/**
 * Run inside the container on a timeout: kills every process whose environment carries the
 * marker, i.e. the exec and whatever it started. It is a fixed script; the marker arrives as
 * an argument ($1), never spliced into the text. It skips itself: its own environment has no marker.
 */
export const KILL_SCRIPT = [
  'm="$1"',
  'for d in /proc/[0-9]*; do',
  '  p="${d#/proc/}"',
  '  [ "$p" = "$$" ] && continue',
  '  if tr "\\000" "\\n" < "$d/environ" 2>/dev/null | grep -qx "$m"; then kill -KILL "$p" 2>/dev/null; fi',
  'done',
  'exit 0',
].join('\n');

/** Ways to start the kill script, tried in order: an image may have only busybox. */
const SHELLS: string[][] = [['sh'], ['/bin/sh'], ['busybox', 'sh'], ['/bin/busybox', 'sh']];

export interface ExecOptions {
  timeoutMs: number;
  outputLimitBytes: number;
  user?: string;
}

export interface ExecOutcome extends ExecResult {
  /** On a timeout: whether the exec's processes were killed inside the container. */
  killed?: boolean;
}

/**
 * Runs argv in a container with a deadline. On the deadline the exec's processes are killed
 * from inside the container (a second exec, same user), found by a marker in their
 * environment. berth never signals a host PID: the engine's PIDs belong to its own namespace
 * (remote engine, berth in a container) and could name an unrelated local process.
 */
export async function execWithTimeout(container: Docker.Container, argv: string[], options: ExecOptions, longCalls: Docker.Container = container): Promise<ExecOutcome> {
  const marker = `${EXEC_MARKER}=${randomUUID()}`;
  const user = options.user ? { User: options.user } : {};
  // Created on the streams client: a quiet exec must not be cut by the client's idle timeout.
  const exec = await longCalls.exec({ Cmd: argv, Env: [marker], AttachStdout: true, AttachStderr: true, ...user });
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
  let output = '';
  let truncated = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, options.timeoutMs);
  try {
    for await (const { chunk } of demuxStream(stream)) {
      if (output.length < options.outputLimitBytes) output += chunk.toString('utf8');
      else truncated = true;
    }
  } catch {
    // A destroyed stream (timeout) ends the read; the outcome is decided below.
  } finally {
    clearTimeout(timer);
  }
  if (output.length > options.outputLimitBytes) {
    output = output.slice(0, options.outputLimitBytes);
    truncated = true;
  }
  if (!timedOut) {
    const info = await exec.inspect().catch(() => undefined);
    return { exitCode: info?.ExitCode ?? null, output, truncated, timedOut };
  }
  const killed = await killMarked(container, exec, marker, user);
  return { exitCode: null, output, truncated, timedOut, killed };
}

async function killMarked(container: Docker.Container, exec: Docker.Exec, marker: string, user: { User?: string }): Promise<boolean> {
  for (const shell of SHELLS) {
    if (!(await running(exec))) return true;
    try {
      const killer = await container.exec({ Cmd: [...shell, '-c', KILL_SCRIPT, 'berth-kill', marker], AttachStdout: true, AttachStderr: true, ...user });
      const out = (await killer.start({ hijack: true, stdin: false })) as unknown as Readable;
      for await (const _ of out) { /* drain until the script ends */ }
      const done = await killer.inspect();
      // 126/127: this shell is not in the image; try the next way of starting one.
      if (done.ExitCode === 126 || done.ExitCode === 127) continue;
    } catch {
      continue; // the engine could not start this shell (missing binary): try the next
    }
    for (let i = 0; i < 20; i++) {
      if (!(await running(exec))) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return !(await running(exec));
}

async function running(exec: Docker.Exec): Promise<boolean> {
  const info = await exec.inspect().catch(() => undefined);
  return Boolean(info?.Running);
}
