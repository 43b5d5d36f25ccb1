import { CliError, ExitCode, exitCodeFor } from './exit-codes.js';
import type { Connection } from './connection.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Whole-request timeout; default 30 s. Long waits (create --wait) pass more. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ApiErrorBody {
  error?: { code?: string; message?: string; field?: string };
}

/** Network failures that mean "nothing answers there" rather than "it answered badly". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/**
 * The CLI's only way to the daemon: JSON over HTTP with the bearer token. Every failure becomes
 * a CliError with the API's message and the matching exit code; a daemon that is not running
 * becomes one friendly line and exit 5.
 */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  get<T>(path: string, query?: Query, options: Omit<RequestOptions, 'query' | 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, { ...options, ...(query ? { query } : {}) });
  }

  post<T>(path: string, body?: unknown, query?: Query, options: Omit<RequestOptions, 'query' | 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? {}, ...(query ? { query } : {}) });
  }

  delete<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, query ? { query } : {});
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const res = await this.send(method, path, options, signal);
    const text = await res.text();
    if (!res.ok) throw this.errorFrom(res.status, text);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  /** Opens a streaming response (logs -f, events -f); the caller reads `body` until `signal` aborts. */
  async stream(path: string, query: Query, signal: AbortSignal): Promise<Response> {
    const res = await this.send('GET', path, { query }, signal);
    if (!res.ok) throw this.errorFrom(res.status, await res.text());
    return res;
  }

  /** The unauthenticated probes (/health, /ready): status and parsed body, never throwing on 5xx. */
  async probe<T>(path: string, timeoutMs = 5000): Promise<{ status: number; body: T }> {
    const res = await this.send('GET', path, { auth: false }, AbortSignal.timeout(timeoutMs));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: body as T };
  }

  private async send(method: string, path: string, options: RequestOptions & { auth?: boolean }, signal: AbortSignal): Promise<Response> {
    const url = new URL(this.connection.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false && this.connection.token) headers.authorization = `Bearer ${this.connection.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, signal, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    } catch (error) {
      throw this.networkError(error, signal);
    }
  }

  private networkError(error: unknown, signal: AbortSignal): Error {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      // A user's Ctrl-C is passed through as is; a timeout is reported.
      if (reason instanceof DOMException && reason.name === 'TimeoutError') {
        return new CliError(`berth at ${this.connection.url} did not answer in time`, ExitCode.UNAVAILABLE);
      }
      return reason instanceof Error ? reason : new Error(String(reason));
    }
    const code = causeCode(error);
    // Named only when it was not given outright: a URL found in the pid file or BERTH_PORT surprises.
    const source = this.connection.urlSource;
    const from = source && !['default', '--url', 'BERTH_URL'].includes(source) ? ` (URL from ${source})` : '';
    if (code === 'ECONNREFUSED') {
      return new CliError(`berth is not running at ${this.connection.url}${from}; start it with \`berth server start\``, ExitCode.UNAVAILABLE);
    }
    if (code && UNREACHABLE.has(code)) {
      return new CliError(`cannot reach berth at ${this.connection.url} (${code}); is it running? start it with \`berth server start\``, ExitCode.UNAVAILABLE);
    }
    return new CliError(`request to ${this.connection.url} failed: ${code ?? causeMessage(error)}`, ExitCode.UNAVAILABLE);
  }

  private errorFrom(status: number, text: string): CliError {
    let body: ApiErrorBody = {};
    try {
      body = JSON.parse(text) as ApiErrorBody;
    } catch {
      // not JSON (a proxy?): use the status line
    }
    const code = body.error?.code;
    const message = body.error?.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    let hint: string | undefined;
    if (status === 401) {
      hint = this.connection.tokenSource === 'none'
        ? `no token: pass --token, set BERTH_TOKEN, or run where ${this.connection.dataDir}/admin.token is readable`
        : `the token from ${this.connection.tokenSource} was not accepted`;
    }
    return new CliError(code ? `${message} (${code})` : message, exitCodeFor(status, code), hint, code);
  }
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let i = 0; i < 4 && current; i += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(error: unknown): string {
  let current: unknown = error;
  while ((current as { cause?: unknown }).cause instanceof Error) current = (current as { cause: Error }).cause;
  return current instanceof Error ? current.message : String(current);
}

/** Splits a streamed response body into lines. */
export async function* readLines(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  }
  if (buffer) yield buffer;
}
