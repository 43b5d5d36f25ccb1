import { describe, expect, it } from 'vitest';
import type { RawService } from './swarm-types.js';
import { withPin, workspaceOfService } from './workspace-pin.js';

describe('workspace pins', () => {
  it('adds the node pin next to the plan constraints, replacing an older pin', () => {
    expect(withPin([], 'n1')).toEqual(['node.id==n1']);
    expect(withPin(['node.labels.gpu==true'], 'n1')).toEqual(['node.labels.gpu==true', 'node.id==n1']);
    expect(withPin(['node.id == old', 'node.labels.gpu==true'], 'n2')).toEqual(['node.labels.gpu==true', 'node.id==n2']);
  });

  it('finds the workspace volume among a service mounts', () => {
    const service = (mounts: Array<{ Type: string; Source: string; Target: string }>): RawService => ({
      ID: 's', Version: { Index: 1 }, Spec: { Name: 'x', TaskTemplate: { ContainerSpec: { Mounts: mounts } } },
    });
    expect(workspaceOfService(service([{ Type: 'bind', Source: '/etc/x', Target: '/x' }, { Type: 'volume', Source: 'berth-s-ws-1', Target: '/workspace' }]))).toBe('berth-s-ws-1');
    expect(workspaceOfService(service([{ Type: 'tmpfs', Source: '', Target: '/tmp' }]))).toBeUndefined();
  });
});
