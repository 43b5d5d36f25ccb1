/** Runs fn and returns its duration in ms (high-resolution), or the error it threw. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
