import { describe, expect, it } from 'vitest';
import { checkEngineConnection, componentCheck } from './doctor-host-checks.js';

const docker = { host: 'unix:///var/run/docker.sock', retrySeconds: 2, tlsVerify: false, certPath: '', allowInsecureTcp: false };

describe('doctor: engine connection security', () => {
  it('names the socket, TLS, loopback TCP and insecure remote TCP', () => {
    expect(checkEngineConnection(docker)).toMatchObject({ status: 'ok', detail: expect.stringContaining('local socket /var/run/docker.sock') });
    expect(checkEngineConnection({ ...docker, host: 'tcp://10.0.0.9:2376', tlsVerify: true, certPath: '/certs' })).toMatchObject({ status: 'ok', detail: expect.stringContaining('TLS to tcp://10.0.0.9:2376') });
    expect(checkEngineConnection({ ...docker, host: 'tcp://127.0.0.1:2375' })).toMatchObject({ status: 'warn', detail: expect.stringContaining('plain TCP') });
    expect(checkEngineConnection({ ...docker, host: 'tcp://10.0.0.9:2375' })).toMatchObject({ status: 'fail', detail: expect.stringContaining('insecure TCP') });
    expect(checkEngineConnection({ ...docker, host: 'tcp://10.0.0.9:2375', allowInsecureTcp: true })).toMatchObject({ status: 'warn', detail: expect.stringContaining('accepted by docker.allowInsecureTcp') });
  });

  it('maps daemon components to checks', () => {
    expect(componentCheck('disk limits', undefined, 'x')).toBeUndefined();
    expect(componentCheck('disk limits', { status: 'degraded', detail: 'overlay2 on extfs' }, 'fix it')).toEqual({ name: 'disk limits', status: 'warn', detail: 'overlay2 on extfs', fix: 'fix it' });
    expect(componentCheck('egress rules', { status: 'up', detail: '12 rules' }, 'fix')).toEqual({ name: 'egress rules', status: 'ok', detail: '12 rules' });
  });
});
