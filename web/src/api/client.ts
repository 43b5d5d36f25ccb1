import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Instance = components['schemas']['Instance'];
export type InstanceEvent = components['schemas']['Event'];
export type Plan = components['schemas']['Plan'];
export type Job = components['schemas']['Job'];
export type JobRun = components['schemas']['JobRun'];
export type Token = components['schemas']['Token'];
export type Session = components['schemas']['Session'];
export type Orphans = components['schemas']['Orphans'];
export type Service = components['schemas']['Service'];
export type InstanceStatus = Instance['status'];

export interface ApiErrorBody { error?: { code?: string; message?: string; field?: string } }

const TOKEN_KEY = 'berth.token';

/** The token lives in sessionStorage only: gone when the tab closes, never in a URL or cookie. */
export const auth = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** An API failure carrying the API's own message, code and field. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly field?: string) {
    super(message);
  }
}

const withToken: Middleware = {
  onRequest({ request }) {
    const token = auth.token();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
};

/**
 * fetch that tries again (three times in all) when the request fails at the network level, for
 * requests that are safe to repeat: reads, and the single-use code exchange (a second try of a
 * code that did arrive is refused, never doubled). Chromium aborts requests when the host's
 * network interfaces change, which container engines do all the time.
 */
async function retryingFetch(input: Request): Promise<Response> {
  const repeatable = input.method === 'GET' || new URL(input.url).pathname === '/ui-login';
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(repeatable ? input.clone() : input);
    } catch (error) {
      if (!repeatable || attempt >= 3 || !(error instanceof TypeError) || input.signal.aborted) throw error;
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}

/** The typed client, generated from berth's own /openapi.json. */
export const api = createClient<paths>({ baseUrl: location.origin, fetch: retryingFetch });
api.use(withToken);

/** Unwraps an openapi-fetch result: the data, or an ApiError with the API's message. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) throw toApiError(result.response.status, result.error);
  return result.data;
}

export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as ApiErrorBody | undefined)?.error;
  return new ApiError(status, e?.message ?? `request failed with HTTP ${status}`, e?.code, e?.field);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Raw authenticated fetch for what openapi-fetch does not model: 304s and streamed bodies. */
export function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = auth.token();
  if (token) headers.set('authorization', `Bearer ${token}`);
  return retryingFetch(new Request(new URL(path, location.origin), { ...init, headers, cache: 'no-store' }));
}
