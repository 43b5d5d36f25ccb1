import { describe, expect, it } from 'vitest';
import type { RawService } from './swarm-types.js';
import { WorkspacePinner, withPin, workspaceOfService } from './workspace-pin.js';

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

describe('WorkspacePinner', () => {
  const node = (id: string, availability: string, state = 'ready') => ({ ID: id, Version: { Index: 1 }, Spec: { Role: 'worker', Availability: availability }, Description: { Hostname: `host-${id}` }, Status: { State: state } });
  const pins = (recorded: Record<string, string>) => {
    const map = new Map(Object.entries(recorded));
    return { nodeOf: async (v: string) => map.get(v), record: async (v: string, n: string) => { if (!map.has(v)) map.set(v, n); }, forget: async (v: string) => { map.delete(v); }, map };
  };
  const view = (nodes: unknown[]) => ({ nodes: async () => nodes }) as unknown as ConstructorParameters<typeof WorkspacePinner>[0];

  it('pins to the recorded node, else to the last task\'s node, else nowhere', async () => {
    const p = pins({ ws1: 'n1' });
    const pinner = new WorkspacePinner(view([node('n1', 'active'), node('n2', 'active')]), p);
    expect(await pinner.nodeFor('ws1', { NodeID: 'n2' } as never)).toBe('n1');
    expect(await pinner.nodeFor('ws2', { NodeID: 'n2' } as never)).toBe('n2');
    expect(await pinner.nodeFor('ws3')).toBeUndefined();
    expect(await new WorkspacePinner(view([]), undefined).nodeFor('ws1')).toBeUndefined();
  });

  it('records only the first placement and forgets a removed volume', async () => {
    const p = pins({});
    const pinner = new WorkspacePinner(view([]), p);
    await pinner.placed('ws', { NodeID: 'n1' } as never);
    await pinner.placed('ws', { NodeID: 'n2' } as never);
    expect(p.map.get('ws')).toBe('n1');
    await pinner.forget('ws');
    expect(p.map.has('ws')).toBe(false);
  });

  it('refuses a drained, down or departed workspace node with a clear error', async () => {
    const p = pins({ a: 'n1', b: 'n2', c: 'gone' });
    const pinner = new WorkspacePinner(view([node('n1', 'drain'), node('n2', 'active', 'down')]), p);
    await expect(pinner.nodeFor('a')).rejects.toMatchObject({ code: 'WORKSPACE_NODE_UNAVAILABLE', message: expect.stringMatching(/lives on node host-n1 \(ready, drain\).*activate the node/) });
    await expect(pinner.nodeFor('b')).rejects.toMatchObject({ code: 'WORKSPACE_NODE_UNAVAILABLE', message: expect.stringContaining('host-n2 (down, active)') });
    await expect(pinner.nodeFor('c')).rejects.toMatchObject({ code: 'WORKSPACE_NODE_UNAVAILABLE', message: expect.stringContaining('gone (no longer in the swarm)') });
  });
});
