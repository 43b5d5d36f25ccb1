import { describe, expect, it } from 'vitest';
import { noNewPrivilegesCheck } from './doctor-cluster.js';

describe('doctor: no-new-privileges on Swarm nodes', () => {
  it('is ok only when measured as enforced on every node', () => {
    expect(noNewPrivilegesCheck([{ hostname: 'w1', noNewPrivileges: 'enforced' }, { hostname: 'w2', noNewPrivileges: 'enforced' }]))
      .toMatchObject({ status: 'ok', detail: expect.stringContaining('w1, w2') });
  });

  it('warns naming the nodes where tasks run without it, and those not measured', () => {
    const check = noNewPrivilegesCheck([{ hostname: 'w1', noNewPrivileges: 'off' }, { hostname: 'w2', noNewPrivileges: 'unknown' }, { hostname: 'w3', noNewPrivileges: 'enforced' }]);
    expect(check).toMatchObject({ status: 'warn', detail: 'tasks run without no-new-privileges on w1; not measured on w2', fix: expect.stringContaining('--no-new-privileges') });
  });

  it('warns when nothing could be measured (no engine, no running instance)', () => {
    expect(noNewPrivilegesCheck([{ hostname: 'w1', noNewPrivileges: null }, { hostname: 'w2' }]))
      .toMatchObject({ status: 'warn', detail: expect.stringMatching(/^not measured on w1, w2/) });
  });
});
