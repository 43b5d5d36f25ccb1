import http from 'node:http';

export interface HealthAnswer {
  status: number;
  uptimeMs?: number;
}

/** One GET /health on host:port (127.0.0.1 by default) with a fresh connection (what a probe or curl does). */
export function probe(port: number, path = '/health', timeoutMs = 1000, host = '127.0.0.1'): Promise<HealthAnswer | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let uptimeMs: number | undefined;
        try {
          uptimeMs = (JSON.parse(body) as { uptimeMs?: number }).uptimeMs;
        } catch {
          // not the agent's JSON: status alone is enough
        }
        resolve({ status: res.statusCode ?? 0, ...(uptimeMs !== undefined ? { uptimeMs } : {}) });
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The interval every side polls at, so no side gains from a tighter loop. */
export const POLL_MS = 20;

/**
 * Polls until /health answers 200 (and, with `startedAfter`, from a process that started after
 * that instant — how a recovery is told apart from the old process answering).
 */
export async function waitHealthy(port: number, timeoutMs: number, startedAfter?: number, host = '127.0.0.1'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const answer = await probe(port, '/health', 1000, host);
    if (answer?.status === 200) {
      if (startedAfter === undefined) return;
      if (answer.uptimeMs !== undefined && Date.now() - answer.uptimeMs >= startedAfter - 5) return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${host}:${port}${startedAfter ? ' (after restart)' : ''} did not answer /health within ${timeoutMs} ms`);
}
