import { describe, expect, it } from 'vitest';
import { checkEgressRules, checkEngineConnection, componentCheck } from './doctor-host-checks.js';
import { EgressFirewall } from '../runtime/docker/egress-rules.js';

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

  it('counts the scope\'s egress rules from iptables when the daemon is down, and warns when it cannot read them', async () => {
    const listing = '-A DOCKER-USER -i br-1 -m comment --comment berth:prod:net -j REJECT\n-A DOCKER-USER -j RETURN';
    const ok = new EgressFirewall(async (_f, args) => ({ code: 0, stdout: args.includes('DOCKER-USER') ? listing : '', stderr: '' }));
    expect(await checkEgressRules('prod', ok)).toMatchObject({ status: 'ok', detail: expect.stringContaining('1 rules of scope prod (DOCKER-USER 1, INPUT 0)') });
    const denied = new EgressFirewall(async () => ({ code: 4, stdout: '', stderr: 'Permission denied (you must be root)' }));
    expect(await checkEgressRules('prod', denied)).toMatchObject({ status: 'warn', detail: expect.stringContaining('Permission denied') });
  });
});
