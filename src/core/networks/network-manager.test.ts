import { describe, expect, it } from 'vitest';
import { NetworkManager, type NetworkManagerOptions } from './network-manager.js';

const manager = (scope: string): NetworkManager => new NetworkManager({ scope, sharedName: 'berth-shared' } as NetworkManagerOptions);

describe('NetworkManager: a shared bridge per egress policy', () => {
  it('keeps the default bridge for public with nothing allowed, and names others after their policy', () => {
    const m = manager('prod');
    expect(m.sharedNameFor({ egress: 'public', egressAllow: [] })).toBe('berth-shared-prod');
    expect(m.sharedNameFor({ egress: 'all', egressAllow: [] })).toBe('berth-shared-prod-all');
    expect(m.sharedNameFor({ egress: 'none', egressAllow: [] })).toBe('berth-shared-prod-none');
    const a = m.sharedNameFor({ egress: 'public', egressAllow: ['10.0.0.2/32:53', '10.9.0.0/16'] });
    expect(a).toMatch(/^berth-shared-prod-public-[0-9a-f]{8}$/);
    expect(m.sharedNameFor({ egress: 'public', egressAllow: ['10.9.0.0/16', '10.0.0.2/32:53'] })).toBe(a);
    expect(manager('default').sharedNameFor({ egress: 'public', egressAllow: [] })).toBe('berth-shared');
    for (const name of ['berth-shared-prod', 'berth-shared-prod-all', a]) expect(m.isDedicated(name)).toBe(false);
    expect(m.isDedicated(m.dedicatedName('acme'))).toBe(true);
  });
});

describe('NetworkManager: a runtime whose shared network cannot separate tenants', () => {
  const plan = { dedicatedNetwork: false, egress: 'public', egressAllow: [] } as unknown as Parameters<NetworkManager['nameFor']>[1];
  it('gives every tenant its own network on Swarm, whatever the plan says', () => {
    const swarm = new NetworkManager({ scope: 'prod', sharedName: 'berth-shared', runtime: { networkPerTenant: true } } as unknown as NetworkManagerOptions);
    expect(swarm.nameFor('acme', plan)).toBe('berth-prod-net-acme');
    expect(swarm.nameFor('globex', plan)).toBe('berth-prod-net-globex');
    const docker = new NetworkManager({ scope: 'prod', sharedName: 'berth-shared', runtime: {} } as unknown as NetworkManagerOptions);
    expect(docker.nameFor('acme', plan)).toBe('berth-shared-prod');
  });
});
