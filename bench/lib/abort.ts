/** Set on Ctrl-C: scenarios stop starting new work while the cleanup sweeps. */
export const benchAbort = new AbortController();

export function throwIfAborted(): void {
  if (benchAbort.signal.aborted) throw new Error('bench interrupted');
}
