/** berth's HTTP API as a user drives it: bearer token, JSON, nothing else. */
export interface InstanceView {
  id: string;
  name: string;
  status: string;
  hostPort: number | null;
  containerId: string | null;
  restarts: number;
  consecutiveFailures: number;
  lastCheckAt: string | null;
  lastCheckOk: boolean | null;
  /** Where the instance answers (on Swarm: its node's address). */
  url?: string | null;
}

export class BerthApiError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what} → ${status}: ${body.slice(0, 300)}`);
  }
}

export class BerthClient {
  constructor(readonly url: string, readonly token: string) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(300_000),
    });
    return { status: res.status, text: await res.text() };
  }

  async json<T>(method: string, path: string, body?: unknown, ok: number[] = [200, 201, 202]): Promise<T> {
    const res = await this.request(method, path, body);
    if (!ok.includes(res.status)) throw new BerthApiError(res.status, res.text, `${method} ${path}`);
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  getInstance(name: string): Promise<InstanceView> {
    return this.json<InstanceView>('GET', `/v1/instances/${encodeURIComponent(name)}`);
  }

  async listInstances(): Promise<{ items: InstanceView[]; total: number }> {
    return this.json('GET', '/v1/instances?limit=1000');
  }
}
