import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** What many HTTP clients send on a DELETE or an action POST: a JSON content type and no body at all. */
async function emptyJson(td: TestDaemon, method: string, path: string): Promise<{ status: number; body: { error?: { code: string } } }> {
  const res = await fetch(`${td.url}${path}`, { method, headers: { authorization: `Bearer ${td.token}`, 'content-type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { error?: { code: string } }) : {} };
}

describe(`API: content-type application/json with an empty body (${testEnv.store})`, () => {
  let td: TestDaemon;
  beforeAll(async () => {
    td = await startTestDaemon();
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('accepts a DELETE and an action POST without a body', async () => {
    const token = await td.api<{ info: { id: string } }>('POST', '/v1/tokens', { name: 'short-lived', scope: 'admin' });
    expect(token.status).toBe(201);
    const revoked = await emptyJson(td, 'DELETE', `/v1/tokens/${token.body.info.id}`);
    expect(revoked.status).toBe(200);

    // A missing instance is a 404, not a body error.
    const missing = await emptyJson(td, 'DELETE', '/v1/instances/no-such-instance');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'INSTANCE_NOT_FOUND' } } });

    const gc = await emptyJson(td, 'POST', '/v1/system/gc');
    expect(gc, JSON.stringify(gc.body)).toMatchObject({ status: 200 });
  });

  it('still refuses malformed JSON and a body the route needs', async () => {
    const res = await fetch(`${td.url}/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${td.token}`, 'content-type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(400);
    const noAction = await emptyJson(td, 'POST', '/v1/instances/no-such-instance/actions');
    expect(noAction).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  });
});
