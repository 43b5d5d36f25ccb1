import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { usageError } from './exit-codes.js';

/**
 * Asks a yes/no question on a terminal. Without a terminal there is nobody to ask: a
 * destructive command refuses (exit 2) unless --yes was given.
 */
export async function confirm(question: string, io: { stdin: Readable & { isTTY?: boolean }; stderr: Writable }, flag = '--yes'): Promise<boolean> {
  if (io.stdin.isTTY !== true) {
    throw usageError(`refusing to ${question.replace(/\?$/, '')} without confirmation: stdin is not a terminal`, `pass ${flag} to confirm`);
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
