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

/** The typed client, generated from berth's own /openapi.json. */
export const api = createClient<paths>({ baseUrl: location.origin });
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
  return fetch(path, { ...init, headers, cache: 'no-store' });
}
