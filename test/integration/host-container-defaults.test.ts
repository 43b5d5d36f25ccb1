import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { containerOf, createInstance, until, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let target: TargetFixture;

const alerts: Array<{ event: string; instance: { name: string }; message: string }> = [];
let hook: Server;

beforeAll(async () => {
  // A webhook receiver the test runs on loopback.
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as (typeof alerts)[number]);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as AddressInfo).port;
  td = await startTestDaemon({
    yaml: [
      'plans:\n  starter:\n    tmpSize: 32MiB\n    disk: 2MiB',
      'monitor:\n  diskCheckSeconds: 1',
      `alerts:\n  webhooks:\n    - { url: "http://127.0.0.1:${port}/hook/secret-token", events: [disk-exceeded] }`,
      '',
    ].join('\n'),
  });
  target = await createInstance(td, `defaults-${td.scope.slice(2)}`);
});
afterAll(async () => {
  await td?.cleanup();
  hook?.close();
});

describe(`what every tenant container gets (${testEnv.store})`, () => {
  it('init, a noexec /tmp sized by the plan, nofile limits, and the engine default seccomp profile', async () => {
    const { id } = await containerOf(td, target.id);
    const c = await rawDocker().getContainer(id).inspect() as unknown as {
      HostConfig: { Init?: boolean; Tmpfs?: Record<string, string>; Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>; SecurityOpt?: string[]; CapDrop?: string[]; Privileged?: boolean; StorageOpt?: Record<string, string> };
      AppArmorProfile?: string;
    };
    expect(c.HostConfig.Init).toBe(true);
    expect(c.HostConfig.Tmpfs?.['/tmp']).toBe(`rw,noexec,nosuid,nodev,size=${32 * 1024 ** 2}`);
    expect(c.HostConfig.Ulimits).toEqual([{ Name: 'nofile', Soft: 8192, Hard: 8192 }]);
    expect(c.HostConfig.CapDrop).toEqual(['ALL']);
    expect(c.HostConfig.Privileged).toBe(false);
    // No seccomp or AppArmor override: the engine's defaults apply.
    const opts = c.HostConfig.SecurityOpt ?? [];
    expect(opts).toEqual(['no-new-privileges:true']);
    expect(opts.some((o) => /seccomp|apparmor/i.test(o))).toBe(false);
    const info = await rawDocker().info() as { SecurityOptions?: string[] };
    expect(info.SecurityOptions?.some((o) => o.includes('name=seccomp'))).toBe(true);
    // The running process really is confined by seccomp (mode 2 = filter) and has init as PID 1.
    const status = await td.daemon.runtime.exec(id, ['cat', '/proc/self/status'], { timeoutMs: 15_000, outputLimitBytes: 8192 });
    expect(status.output).toMatch(/^Seccomp:\s+2$/m);
    const init = await td.daemon.runtime.exec(id, ['cat', '/proc/1/cmdline'], { timeoutMs: 15_000, outputLimitBytes: 1024 });
    expect(init.output).toMatch(/init/);
    // /tmp is there and writable but will not run what is written to it.
    const run = await td.daemon.runtime.exec(id, ['sh', '-c', 'cp /bin/busybox /tmp/bb && /tmp/bb true; echo rc=$?'], { timeoutMs: 15_000, outputLimitBytes: 1024 });
    expect(run.output).toMatch(/rc=126/);
    const nofile = await td.daemon.runtime.exec(id, ['sh', '-c', 'ulimit -n'], { timeoutMs: 15_000, outputLimitBytes: 1024 });
    expect(nofile.output.trim()).toBe('8192');
  });

  it('plan disk: the writable layer is capped where supported, /health says which, and stats report disk use', async () => {
    const health = await td.api<{ components: Record<string, { status: string; detail: string }> }>('GET', '/health', undefined, null);
    const disk = health.body.components['disk-limits'];
    expect(disk?.status).toMatch(/^(up|unsupported)$/);
    const { id } = await containerOf(td, target.id);
    const c = await rawDocker().getContainer(id).inspect() as unknown as { HostConfig: { StorageOpt?: Record<string, string> | null } };
    if (disk?.status === 'up') expect(c.HostConfig.StorageOpt?.size).toBe(String(2 * 1024 ** 2));
    else {
      expect(disk?.detail).toMatch(/cannot cap/);
      expect(c.HostConfig.StorageOpt ?? {}).toEqual({});
    }

    await td.daemon.runtime.exec(id, ['sh', '-c', 'head -c 3000000 /dev/zero > /workspace/blob'], { timeoutMs: 15_000, outputLimitBytes: 1024 });
    const stats = await td.api<{ workspaceBytes: number | null; writableLayerBytes: number | null }>('GET', `/v1/instances/${target.name}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body.workspaceBytes).toBeGreaterThanOrEqual(3_000_000);
    expect(typeof stats.body.writableLayerBytes).toBe('number');
    // Repeated samplers skip the disk walk; the rest of the sample is there.
    const quick = await td.api<Record<string, unknown>>('GET', `/v1/instances/${target.name}/stats?disk=false`);
    expect(quick.status).toBe(200);
    expect(quick.body).not.toHaveProperty('workspaceBytes');
    expect(quick.body).not.toHaveProperty('writableLayerBytes');
    expect(quick.body.memoryBytes).toBeGreaterThan(0);
    const bad = await td.api<{ error: { code: string; message: string } }>('GET', `/v1/instances/${target.name}/stats?disk=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('disk');

    // Past the plan's disk: one event and one alert.
    const event = await until('a disk-exceeded event', async () => {
      const res = await td.api<{ items: Array<{ type: string; message: string }> }>('GET', `/v1/events?type=disk-exceeded&instance=${target.name}`);
      return res.body.items[0];
    }, 30_000);
    expect(event.message).toMatch(/passed the plan's 2097152 bytes/);
    const alert = await until('the disk-exceeded alert', async () => alerts.find((a) => a.event === 'disk-exceeded'), 30_000);
    expect(alert.instance.name).toBe(target.name);
    // Logged by origin only: the webhook's path may carry a secret.
    expect(td.logs.join('\n')).not.toContain('secret-token');
  });
});
