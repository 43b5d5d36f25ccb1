/**
 * Measures how long an agent does not answer: polls GET / every few ms from now until stop(),
 * and reports the longest gap between a good answer and the next one (last good answer on the
 * old revision → first good answer on the new).
 */
export function downtimeWatch(url: string, everyMs = 20): { stop(until: () => Promise<boolean>, timeoutMs?: number): Promise<{ downtimeMs: number; polls: number }> } {
  let running = true;
  let lastOk: number | undefined;
  let longest = 0;
  let polls = 0;
  const loop = (async () => {
    while (running) {
      polls++;
      const ok = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      const now = performance.now();
      if (ok) {
        if (lastOk !== undefined) longest = Math.max(longest, now - lastOk);
        lastOk = now;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(until, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end && !(await until().catch(() => false))) await new Promise((r) => setTimeout(r, 50));
      // A last good answer after the switch, so the gap is closed.
      const mark = polls;
      while (Date.now() < end && polls < mark + 3) await new Promise((r) => setTimeout(r, 20));
      running = false;
      await loop;
      return { downtimeMs: Math.round(longest), polls };
    },
  };
}
