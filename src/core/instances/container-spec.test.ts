import { describe, expect, it } from 'vitest';
import type { Plan } from '../plans/resolve-plans.js';
import type { InstanceRecord } from '../../store/repositories/instances-repo.js';
import { buildContainerSpec, checkOperatorMounts, type RuntimeSettings } from './container-spec.js';

const settings: RuntimeSettings = {
  scope: 'prod', bindAddress: '127.0.0.1', user: '65534:65534', logMaxSize: '10m', logMaxFile: 3, stopTimeoutSeconds: 10,
  env: { TZ: 'UTC', LOG_LEVEL: 'warn' }, mounts: [{ source: '/srv/soul', target: '/soul', readOnly: true }],
};
const plan = { name: 'starter', cpus: 0.5, memoryBytes: 536870912, pidsLimit: 256, readOnlyRootfs: true } as Plan;
const row = {
  id: 'ins_1', name: 'acme', tenant: 'acme', plan: 'starter', image: 'berth/test-agent:local', command: ['node', 'x.js'],
  env: { LOG_LEVEL: 'info' }, containerPort: 9000, hostPort: 20001, workspaceVolume: null,
} as unknown as InstanceRecord;

describe('buildContainerSpec', () => {
  it('layers env (config, PORT, request, secrets, berth identity) and carries every label and limit', () => {
    const spec = buildContainerSpec(row, plan, 'berth-shared', settings, { OPENAI_API_KEY: 'k' });
    expect(spec.env).toEqual({ TZ: 'UTC', LOG_LEVEL: 'info', PORT: '9000', OPENAI_API_KEY: 'k', BERTH_INSTANCE: 'acme', BERTH_TENANT: 'acme' });
    expect(spec).toMatchObject({
      name: 'berth-prod-acme', command: ['node', 'x.js'], user: '65534:65534', hostname: 'acme', containerPort: 9000, hostPort: 20001,
      cpus: 0.5, memoryBytes: 536870912, pidsLimit: 256, readOnlyRootfs: true, network: 'berth-shared',
      volumes: [{ name: 'berth-prod-acme-ws', target: '/workspace' }],
      binds: [{ source: '/srv/soul', target: '/soul', readOnly: true }],
    });
    expect(spec.labels).toEqual({
      'berth.managed': 'true', 'berth.scope': 'prod', 'berth.kind': 'instance', 'berth.instance': 'ins_1',
      'berth.name': 'acme', 'berth.tenant': 'acme', 'berth.plan': 'starter', 'berth.port': '20001',
    });
  });
});

describe('checkOperatorMounts', () => {
  it('refuses the Docker socket, its directory, and the workspace target', () => {
    const sock = 'unix:///var/run/docker.sock';
    expect(() => checkOperatorMounts([{ source: '/var/run/docker.sock', target: '/s', readOnly: true }], sock)).toThrow(/Docker socket/);
    expect(() => checkOperatorMounts([{ source: '/var/run', target: '/s', readOnly: true }], sock)).toThrow(/Docker socket/);
    expect(() => checkOperatorMounts([{ source: '/', target: '/host', readOnly: true }], sock)).toThrow(/Docker socket/);
    expect(() => checkOperatorMounts([{ source: '/tmp/other/docker.sock', target: '/s', readOnly: true }], sock)).toThrow(/Docker socket/);
    expect(() => checkOperatorMounts([{ source: '/srv', target: '/workspace', readOnly: true }], sock)).toThrow(/workspace/);
    expect(() => checkOperatorMounts([{ source: '/srv/soul', target: '/soul', readOnly: true }], sock)).not.toThrow();
  });
});
