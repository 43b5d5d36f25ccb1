import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, type ErrorBody } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const MISSING_IMAGE = 'berth/does-not-exist:never';

describe(`instance input validation (${testEnv.store})`, () => {
  let td: TestDaemon;
  // A three-port range below the ephemeral range, so exhaustion is reachable in one test.
  const portBase = 30000 + Math.floor(Math.random() * 2500);

  beforeAll(async () => {
    td = await startTestDaemon({
      yaml: `runtime:\n  allowedImages: ["${testEnv.image}", "${MISSING_IMAGE}"]\nports:\n  start: ${portBase}\n  end: ${portBase + 2}\n`,
    });
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('rejects bad input with 400 naming the field, and creates nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'no-tenant' }, 'tenant'],
      [{ tenant: 'acme', plan: 'platinum' }, 'plan'],
      [{ tenant: 'acme', name: 'a;rm -rf' }, 'name'],
      [{ tenant: 'acme', name: '..' }, 'name'],
      [{ tenant: 'acme', name: 'Acme' }, 'name'],
      [{ tenant: 'acme', name: 'a'.repeat(80) }, 'name'],
      [{ tenant: 'ACME' }, 'tenant'],
      [{ tenant: 'acme', env: { 'A=B': 'x' } }, 'env.A=B'],
      [{ tenant: 'acme', secrets: { 'bad key': 'x' } }, 'secrets.bad key'],
      [{ tenant: 'acme', port: -1 }, 'port'],
      [{ tenant: 'acme', port: 70000 }, 'port'],
      [{ tenant: 'acme', command: 'node server.js' }, 'command'],
      [{ tenant: 'acme', command: [] }, 'command'],
      // Host paths, wherever someone might try one.
      [{ tenant: 'acme', volumes: ['/etc:/host-etc'] }, 'volumes'],
      [{ tenant: 'acme', mounts: [{ source: '/var/run/docker.sock', target: '/sock' }] }, 'mounts'],
      [{ tenant: 'acme', workspace: '/var/lib/berth' }, 'workspace'],
      [{ tenant: 'acme', hostConfig: { Binds: ['/:/host'], Privileged: true } }, 'hostConfig'],
      [{ tenant: 'acme', image: '/var/run/docker.sock' }, 'image'],
      [{ tenant: 'acme', image: '../../etc/passwd' }, 'image'],
      [{ tenant: 'acme', health: { path: '/../../etc/passwd' } }, 'health.path'],
      [{ tenant: 'acme', health: { path: 'file:///etc/passwd' } }, 'health.path'],
      [{ tenant: 'acme', health: { startPeriodSeconds: -5 } }, 'health.startPeriodSeconds'],
    ];
    for (const [body, field] of cases) {
      const res = await createInstance(td, body);
      expect.soft(res.status, JSON.stringify(body)).toBe(400);
      expect.soft(res.body.error?.field, JSON.stringify(body)).toBe(field);
      expect.soft(res.body.error?.message, JSON.stringify(body)).toContain(field);
    }

    const huge = await td.api<ErrorBody>('POST', '/v1/instances', JSON.stringify({ tenant: 'acme', env: { BIG: 'x'.repeat(1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('BODY_TOO_LARGE');

    const notAllowed = await createInstance(td, { tenant: 'acme', image: 'busybox:latest' });
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.body.error).toMatchObject({ code: 'IMAGE_NOT_ALLOWED', field: 'image' });

    const missing = await createInstance(td, { tenant: 'acme', image: MISSING_IMAGE });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'IMAGE_NOT_FOUND', field: 'image' });
    expect(missing.body.error.message).toContain(MISSING_IMAGE);
    expect(missing.body.error.message).toMatch(/does not pull or build/);

    // Nothing half-created: no row, no container, volume or network of this scope.
    const rows = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select('id').execute();
    expect(rows).toEqual([]);
    const filters = { label: [`berth.scope=${td.scope}`] };
    const docker = rawDocker();
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect((await td.api<{ total: number }>('GET', '/v1/instances')).body.total).toBe(0);
  });

  it('says what is allowed in words: the name rule, and the values of a choice', async () => {
    const bad = await createInstance(td, { tenant: 'Bad_Name!' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("tenant: must be lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit");
    const path = await createInstance(td, { tenant: 'acme', health: { path: 'health' } });
    expect(path.body.error.message).toMatch(/^health\.path: must be a URL path starting with '\/'/);

    const status = await td.api<ErrorBody>('GET', '/v1/instances?status=bogus');
    expect(status.status).toBe(400);
    expect(status.body.error.message).toMatch(/^status: must be one of: creating, starting, running, .*failed/);
    expect(status.body.error.message).not.toContain('constant');
    const action = await td.api<ErrorBody>('POST', '/v1/instances/nope/actions', JSON.stringify({ action: 'explode' }));
    expect(action.status).toBe(400);
    expect(action.body.error).toMatchObject({ field: 'action', message: 'action: must be one of: start, stop, restart' });
  });

  it('answers 409 with a clear message once the port range is exhausted, and frees a port on delete', async () => {
    const made = [];
    for (const tenant of ['p1', 'p2', 'p3']) {
      const res = await createInstance(td, { tenant, image: testEnv.image });
      expect(res.status).toBe(202);
      made.push(res.body.hostPort);
    }
    expect(new Set(made).size).toBe(3);
    for (const p of made) expect(p! >= portBase && p! <= portBase + 2).toBe(true);

    const full = await createInstance(td, { tenant: 'p4', image: testEnv.image });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('PORTS_EXHAUSTED');
    expect(full.body.error.message).toContain(`${portBase}-${portBase + 2}`);

    expect((await td.api('DELETE', '/v1/instances/p2')).status).toBe(200);
    const again = await createInstance(td, { tenant: 'p4', image: testEnv.image });
    expect(again.status).toBe(202);
    expect(again.body.hostPort).toBe(made[1]);
  });
});
