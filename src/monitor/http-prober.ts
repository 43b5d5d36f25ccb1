import http from 'node:http';
import net from 'node:net';

export type ProbeFailure = 'status' | 'timeout' | 'refused' | 'reset' | 'error' | 'service';

export interface ProbeResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  /** Why it failed (metrics label); null when ok. */
  failure: ProbeFailure | null;
  /** A short human description for events; null when ok. */
  error: string | null;
}

/**
 * The host a probe may target: the bind address tenant ports are published on, or loopback
 * when that is a wildcard or not an IP literal. Never a name that DNS could send elsewhere.
 */
export function probeHost(bindAddress: string): string {
  if (!net.isIP(bindAddress) || bindAddress === '0.0.0.0' || bindAddress === '::') return '127.0.0.1';
  return bindAddress;
}

/**
 * Plain HTTP GET health checks on published ports. One keep-alive agent, so instances probed
 * more often than their server's idle timeout reuse a connection instead of a handshake each
 * time. 2xx and 3xx pass, as for Kubernetes HTTP probes.
 */
export class HttpProber {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' });

  constructor(readonly host: string) {}

  /** `host` overrides the default host for one probe (an instance on another cluster node). */
  async probe(port: number, path: string, timeoutMs: number, host = this.host): Promise<ProbeResult> {
    const started = performance.now();
    const first = await this.once(port, path, timeoutMs, started, host);
    // A kept-alive socket the server closed while idle fails at once: retry on a fresh one (Node docs' advice).
    if (first.reused && first.result.failure === 'reset') return (await this.once(port, path, timeoutMs - (performance.now() - started), started, host)).result;
    return first.result;
  }

  close(): void {
    this.agent.destroy();
  }

  private once(port: number, path: string, timeoutMs: number, started: number, host: string): Promise<{ result: ProbeResult; reused: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      let reused = false;
      const finish = (statusCode: number | null, failure: ProbeFailure | null, error: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        resolve({ result: { ok: failure === null, statusCode, latencyMs, failure, error }, reused });
      };
      const request = http.request({
        host, port, path, method: 'GET', agent: this.agent,
        headers: { 'user-agent': 'berth-probe', accept: '*/*' },
      }, (response) => {
        const code = response.statusCode ?? 0;
        // The body is not needed; drain it so the socket can be reused.
        response.resume();
        response.on('end', () => finish(code, code >= 200 && code < 400 ? null : 'status', code >= 200 && code < 400 ? null : `health check answered HTTP ${code}`));
        response.on('error', (error) => finish(code, 'error', error.message));
      });
      request.on('socket', () => { reused = request.reusedSocket; });
      const timer = setTimeout(() => {
        finish(null, 'timeout', `health check timed out after ${Math.round(timeoutMs)} ms`);
        request.destroy();
      }, Math.max(1, timeoutMs));
      request.on('error', (error: NodeJS.ErrnoException) => {
        const failure: ProbeFailure = error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error';
        finish(null, failure, `health check failed: ${error.code ?? error.message}`);
      });
      request.end();
    });
  }
}
