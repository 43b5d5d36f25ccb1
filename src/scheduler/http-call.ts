import http from 'node:http';
import { BerthError } from '../common/errors.js';
import type { HttpCall, HttpOutcome } from '../core/jobs/job-targets.js';

export interface HttpCallOptions {
  host: string;
  port: number;
  timeoutMs: number;
  outputLimitBytes: number;
  signal: AbortSignal;
}

/**
 * One request to an instance's published port. The host is always berth's own bind address,
 * never from the job, so a job can only reach the instance it targets. Reads at most
 * `outputLimitBytes` of the response, then hangs up (a streaming endpoint must not hold a run).
 */
export function httpCall(call: HttpCall, options: HttpCallOptions): Promise<HttpOutcome> {
  const payload = call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
  const headers: Record<string, string> = { 'user-agent': 'berth-scheduler' };
  if (payload !== undefined) {
    headers['content-type'] = typeof call.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise<HttpOutcome>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, outcome?: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(outcome as HttpOutcome);
    };
    const req = http.request({ host: options.host, port: options.port, method: call.method, path: call.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = (): void => {
        const body = Buffer.concat(chunks).subarray(0, options.outputLimitBytes).toString('utf8');
        finish(undefined, { statusCode: res.statusCode ?? 0, body, truncated });
      };
      res.on('data', (chunk: Buffer) => {
        if (size + chunk.length > options.outputLimitBytes) {
          truncated = true;
          chunks.push(chunk);
          res.destroy();
          done();
          return;
        }
        size += chunk.length;
        chunks.push(chunk);
      });
      res.on('end', done);
      res.on('error', (error) => finish(error));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new BerthError('TIMEOUT', `no answer from ${call.method} ${call.path} within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const onAbort = (): void => {
      req.destroy();
      finish(new BerthError('TIMEOUT', 'the run was stopped'));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => finish(error));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
