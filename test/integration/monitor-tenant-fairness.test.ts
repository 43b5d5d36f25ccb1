import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { until } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * One tenant with 32 health endpoints that hang (each probe holds its slot until the timeout)
 * next to a healthy tenant: the per-tenant probe slots keep the healthy tenant's probes on
 * schedule. Shown from berth_probe_wait_seconds, how long due probes waited for a slot.
 */
let td: TestDaemon;
const HOGS = 32;
// A health endpoint that never answers: busybox httpd runs a CGI that sleeps.
// (In /workspace: /tmp is a noexec tmpfs in tenant containers.)
const HANG = 'mkdir -p /workspace/www/cgi-bin && printf "#!/bin/sh\\nsleep 600\\n" > /workspace/www/cgi-bin/health && chmod +x /workspace/www/cgi-bin/health && exec httpd -f -p 8080 -h /workspace/www';

beforeAll(async () => {
  td = await startTestDaemon();
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

interface Wait { count: number; withinOneSecond: number; withinTwoSeconds: number }

async function probeWait(tenant: string): Promise<Wait> {
  const text = await (await fetch(`${td.url}/metrics`)).text();
  const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
  return {
    count: value(new RegExp(`^berth_probe_wait_seconds_count\\{tenant="${tenant}"\\} (\\d+)`, 'm')),
    withinOneSecond: value(new RegExp(`^berth_probe_wait_seconds_bucket\\{le="1",tenant="${tenant}"\\} (\\d+)`, 'm')),
    withinTwoSeconds: value(new RegExp(`^berth_probe_wait_seconds_bucket\\{le="2",tenant="${tenant}"\\} (\\d+)`, 'm')),
  };
}

describe(`probe fairness between tenants (${testEnv.store})`, () => {
  it('32 hanging probes of one tenant do not delay another tenant\'s probes beyond its interval', async () => {
    const hogHealth = { path: '/cgi-bin/health', intervalSeconds: 2, timeoutSeconds: 2, failureThreshold: 1000, startPeriodSeconds: 0 };
    for (let i = 0; i < HOGS; i += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, HOGS - i) }, (_, j) => td.api('POST', '/v1/instances', {
        tenant: 'hog', name: `hog-${i + j}`, plan: 'starter', command: ['sh', '-c', HANG], health: hogHealth,
      })));
      for (const res of batch) expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    const calm = await td.api<{ status: string }>('POST', '/v1/instances?wait=running&timeout=120', {
      tenant: 'calm', name: 'calm', plan: 'starter', health: { intervalSeconds: 1, timeoutSeconds: 1, startPeriodSeconds: 0 },
    });
    expect(calm.body.status).toBe('running');
    const allUp = await until(async () => (await td.api<{ items: Array<{ status: string }> }>('GET', '/v1/instances?tenant=hog&limit=100')).body.items,
      (items) => items.length === HOGS && items.every((i) => i.status === 'starting'), 180_000, 500);
    expect(allUp.every((i) => i.status === 'starting')).toBe(true);

    // Let the hogs saturate their slots: most of their due probes now wait longer than their interval.
    const hogs = await until(() => probeWait('hog'), (w) => w.count >= 150 && w.count - w.withinTwoSeconds >= 50, 120_000, 500);
    expect(hogs.count - hogs.withinTwoSeconds).toBeGreaterThanOrEqual(50);
    const before = await probeWait('calm');
    const after = await until(() => probeWait('calm'), (w) => w.count >= before.count + 10, 60_000, 500);
    // Every probe of the healthy tenant started within its 1 s interval of being due.
    expect(after.withinOneSecond).toBe(after.count);
    expect((await td.api<{ status: string; consecutiveFailures: number }>('GET', '/v1/instances/calm')).body).toMatchObject({ status: 'running', consecutiveFailures: 0 });
    // A hanging streak is one probe-failed event per instance, not one per probe.
    const failed = await td.api<{ items: unknown[] }>('GET', '/v1/events?instance=hog-0&type=probe-failed');
    expect(failed.body.items).toHaveLength(1);
  }, 600_000);
});
