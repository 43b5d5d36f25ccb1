import { describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { SubnetPool } from './subnet-pool.js';

describe('SubnetPool', () => {
  it('cuts a /16 into 4096 /28 subnets', () => {
    const pool = new SubnetPool('10.211.0.0/16', 28);
    expect(pool.size).toBe(4096);
    expect(pool.at(0)).toBe('10.211.0.0/28');
    expect(pool.at(1)).toBe('10.211.0.16/28');
    expect(pool.at(16)).toBe('10.211.1.0/28');
    expect(pool.at(4095)).toBe('10.211.255.240/28');
  });

  it('normalises host bits in the pool address', () => {
    expect(new SubnetPool('192.168.77.9/24', 26).at(3)).toBe('192.168.77.192/26');
  });

  it('picks distinct subnets until exhausted', () => {
    const pool = new SubnetPool('10.0.0.0/24', 26);
    const taken = new Set<string>();
    for (let i = 0; i < 4; i++) taken.add(pool.pick(taken, () => 0.5));
    expect([...taken].sort()).toEqual(['10.0.0.0/26', '10.0.0.128/26', '10.0.0.192/26', '10.0.0.64/26']);
    const error = (() => {
      try {
        pool.pick(taken);
      } catch (e) {
        return e;
      }
    })();
    expect(isBerthError(error) && error.code).toBe('SUBNETS_EXHAUSTED');
  });

  it('rejects a malformed pool or prefix', () => {
    expect(() => new SubnetPool('10.0.0/16', 28)).toThrow(/IPv4 CIDR/);
    expect(() => new SubnetPool('10.0.0.0/24', 20)).toThrow(/subnetPrefix/);
  });
});
