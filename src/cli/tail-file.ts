import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { sleep } from '../common/clock.js';

/** The last `n` lines of a file and the size it had when read (where following starts). */
export function lastLines(file: string, n: number): { lines: string[]; size: number } {
  if (!existsSync(file)) return { lines: [], size: 0 };
  const size = statSync(file).size;
  // Read backwards in blocks until enough newlines are seen: a log may be large.
  const block = 64 * 1024;
  let start = size;
  let text = '';
  const fd = openSync(file, 'r');
  try {
    while (start > 0 && text.split('\n').length <= n + 1) {
      const from = Math.max(0, start - block);
      const buffer = Buffer.alloc(start - from);
      readSync(fd, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8') + text;
      start = from;
    }
  } finally {
    closeSync(fd);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { lines: n === 0 ? [] : lines.slice(-n), size };
}

/** Calls `onLine` for each line appended to `file` after `offset`, until `signal` aborts. */
export async function followFile(file: string, offset: number, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  let position = offset;
  let partial = '';
  while (!signal.aborted) {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < position) position = 0; // truncated or replaced: start over
    if (size > position) {
      const buffer = Buffer.alloc(size - position);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, position);
      } finally {
        closeSync(fd);
      }
      position = size;
      const parts = (partial + buffer.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    }
    await sleep(200, signal).catch(() => undefined);
  }
}
