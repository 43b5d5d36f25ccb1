import type Docker from 'dockerode';

export interface DiskUsage {
  /** Bytes written to the container's own layer (SizeRw). */
  writableLayerBytes: number | null;
  /** Bytes in the workspace volume mounted at /workspace, from the engine's disk usage (system df). */
  workspaceBytes: number | null;
}

interface DfVolume { Name: string; UsageData?: { Size?: number } | null }

/**
 * A container's disk use as the engine measures it: the writable layer from inspect (size),
 * the workspace from `system df` (the engine walks its volumes; on demand only, never per scrape).
 */
export async function measureDiskUsage(docker: Docker, id: string, workspaceTarget = '/workspace'): Promise<DiskUsage> {
  // dockerode's types lack the `size` query flag the Engine API takes.
  const info = (await docker.getContainer(id).inspect({ size: true } as Docker.ContainerInspectOptions)) as { SizeRw?: number; Mounts?: Array<{ Type?: string; Name?: string; Destination?: string }> };
  const volume = (info.Mounts ?? []).find((m) => m.Type === 'volume' && m.Destination === workspaceTarget)?.Name;
  let workspaceBytes: number | null = null;
  if (volume) {
    const df = (await docker.df()) as { Volumes?: DfVolume[] };
    const size = df.Volumes?.find((v) => v.Name === volume)?.UsageData?.Size;
    workspaceBytes = typeof size === 'number' && size >= 0 ? size : null;
  }
  return { writableLayerBytes: typeof info.SizeRw === 'number' ? info.SizeRw : null, workspaceBytes };
}

interface DfContainer { Id: string; SizeRw?: number; Mounts?: Array<{ Type?: string; Name?: string; Destination?: string }> }

/** Disk use of many containers from one `system df` (the engine walks its storage once). */
export async function measureAllDiskUsage(docker: Docker, workspaceTarget = '/workspace'): Promise<Map<string, DiskUsage>> {
  const df = (await docker.df()) as { Containers?: DfContainer[]; Volumes?: DfVolume[] };
  const volumes = new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size]));
  const out = new Map<string, DiskUsage>();
  for (const c of df.Containers ?? []) {
    const volume = (c.Mounts ?? []).find((m) => m.Type === 'volume' && m.Destination === workspaceTarget)?.Name;
    const ws = volume ? volumes.get(volume) : undefined;
    out.set(c.Id, { writableLayerBytes: typeof c.SizeRw === 'number' ? c.SizeRw : null, workspaceBytes: typeof ws === 'number' && ws >= 0 ? ws : null });
  }
  return out;
}
