import type { Instance } from '../../src/core/instances/instance-types.js';
import type { ApiResponse, TestDaemon } from './test-daemon.js';

export type ErrorBody = { error: { code: string; message: string; field?: string } };

/** Polls `fn` every `intervalMs` until `ok` holds or the timeout passes; returns the last value. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, intervalMs = 150): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function createInstance(td: TestDaemon, body: Record<string, unknown>, query = ''): Promise<ApiResponse<Instance & ErrorBody>> {
  return td.api<Instance & ErrorBody>('POST', `/v1/instances${query}`, body);
}

export function getInstance(td: TestDaemon, idOrName: string): Promise<ApiResponse<Instance & ErrorBody>> {
  return td.api<Instance & ErrorBody>('GET', `/v1/instances/${idOrName}`);
}

/** Waits until the instance reaches `status` (via the API). */
export async function untilStatus(td: TestDaemon, idOrName: string, status: string, timeoutMs = 60_000): Promise<Instance> {
  const res = await until(() => getInstance(td, idOrName), (r) => r.body.status === status, timeoutMs);
  if (res.body.status !== status) throw new Error(`instance ${idOrName} is ${res.body.status} (lastError: ${res.body.lastError}), not ${status}`);
  return res.body;
}

/** A GET from the agent inside the instance, through its published port. */
export async function agent<T = Record<string, unknown>>(instance: Pick<Instance, 'url'>, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${instance.url}${path}`, init);
  return (await res.json()) as T;
}
