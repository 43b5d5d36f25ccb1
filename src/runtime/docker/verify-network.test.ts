import { describe, expect, it } from 'vitest';
import { verifyNetwork } from './verify-network.js';

const labels = { 'berth.managed': 'true', 'berth.scope': 'prod', 'berth.kind': 'network' };
const spec = { name: 'berth-shared-prod', internal: false, icc: false, labels: { ...labels, 'berth.egress': 'public', 'berth.egress-allow': '' } };

describe('verifyNetwork', () => {
  it('accepts the network berth would have made (egress labels may be missing on older ones)', () => {
    expect(() => verifyNetwork({ Name: spec.name, Driver: 'bridge', Labels: labels, Options: { 'com.docker.network.bridge.enable_icc': 'false' } }, spec)).not.toThrow();
  });

  it('refuses another scope, inter-container traffic on, or another driver, naming the network and the fix', () => {
    const error = (n: Parameters<typeof verifyNetwork>[0]): string => {
      try {
        verifyNetwork(n, spec);
      } catch (e) {
        return `${(e as { code: string }).code} ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(error({ Name: spec.name, Labels: { ...labels, 'berth.scope': 'other' }, Options: { 'com.docker.network.bridge.enable_icc': 'false' } })).toMatch(/^NETWORK_UNTRUSTED network berth-shared-prod .*lacks berth's labels berth\.scope=prod.*docker network rm berth-shared-prod/);
    expect(error({ Name: spec.name, Labels: labels, Options: {} })).toMatch(/inter-container traffic is on \(com\.docker\.network\.bridge\.enable_icc=unset/);
    expect(error({ Name: spec.name, Driver: 'overlay', Labels: labels, Options: { 'com.docker.network.bridge.enable_icc': 'false' } })).toMatch(/driver is overlay/);
    // A dedicated network without egress must really have NAT off.
    expect(() => verifyNetwork({ Name: 'n', Labels: labels, Options: {} }, { ...spec, icc: true, egress: false })).toThrow(/allows egress/);
  });

  it('on Podman, whose networks have no inter-container switch, checks the labels only', () => {
    expect(() => verifyNetwork({ Name: spec.name, Driver: 'bridge', Labels: labels, Options: {} }, spec, 'podman')).not.toThrow();
    expect(() => verifyNetwork({ Name: spec.name, Driver: 'bridge', Labels: { ...labels, 'berth.scope': 'other' }, Options: {} }, spec, 'podman')).toThrow(/lacks berth's labels/);
  });
});
