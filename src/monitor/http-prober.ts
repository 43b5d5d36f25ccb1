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

/** The longest status line berth reads before it calls the answer malformed. */
const MAX_HEAD = 2048;
const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})/;

/**
 * Plain HTTP GET health checks on published ports, on a bare TCP socket: connect, send one
 * request with `Connection: close`, read the status line, close. No HTTP client, agent or
 * parser per probe, which made a probe cost about half the CPU of `http.request` (see
 * bench/README.md). Keep-alive is not used: at berth's probe intervals (10–30 s) agents'
 * servers have closed an idle connection long before the next probe (Node's default is 5 s).
 * 2xx and 3xx pass, as for Kubernetes HTTP probes.
 */
export class HttpProber {
  constructor(readonly host: string) {}

  /** `host` overrides the default host for one probe (an instance on another cluster node). */
  probe(port: number, path: string, timeoutMs: number, host = this.host): Promise<ProbeResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      let head = '';
      const finish = (statusCode: number | null, failure: ProbeFailure | null, error: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        resolve({ ok: failure === null, statusCode, latencyMs, failure, error });
      };
      // The path is validated where health specs are read; a control character here would split the request.
      if (/[^\x21-\x7e]/.test(path)) {
        resolve({ ok: false, statusCode: null, latencyMs: 0, failure: 'error', error: 'health check path has characters HTTP does not allow' });
        return;
      }
      const socket = net.connect({ port, host, noDelay: true });
      const timer = setTimeout(() => finish(null, 'timeout', `health check timed out after ${Math.round(timeoutMs)} ms`), Math.max(1, timeoutMs));
      socket.setEncoding('latin1');
      socket.once('connect', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host.includes(':') ? `[${host}]` : host}:${port}\r\nUser-Agent: berth-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
      });
      socket.on('data', (chunk: string) => {
        head += chunk;
        if (!head.includes('\n')) {
          if (head.length > MAX_HEAD) finish(null, 'error', 'health check answer is not HTTP');
          return;
        }
        const match = STATUS_LINE.exec(head);
        if (!match) return finish(null, 'error', 'health check answer is not HTTP');
        const code = Number(match[1]);
        const ok = code >= 200 && code < 400;
        finish(code, ok ? null : 'status', ok ? null : `health check answered HTTP ${code}`);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const failure: ProbeFailure = error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error';
        finish(null, failure, `health check failed: ${error.code ?? error.message}`);
      });
      // Closed before a status line arrived (an agent that accepts and hangs up).
      socket.on('close', () => finish(null, 'reset', 'health check failed: the connection closed before an answer'));
    });
  }

  /** Nothing is pooled; kept so owners can release a prober without knowing how it works. */
  close(): void {}
}
