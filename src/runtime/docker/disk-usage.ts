import type Docker from 'dockerode';

export interface DiskUsage {
  /** Bytes written to the container's own layer (SizeRw). */
  writableLayerBytes: number | null;
  /** Bytes in the workspace volume mounted at /workspace, from the engine's disk usage (system df). */
  workspaceBytes: number | null;
}

interface DfVolume { Name: string; UsageData?: { Size?: number } | null }
interface DfContainer { Id: string; SizeRw?: number; Mounts?: Array<{ Type?: string; Name?: string; Destination?: string }> }
interface Df { Containers?: DfContainer[]; Volumes?: DfVolume[] }

const inFlight = new WeakMap<Docker, Promise<Df>>();

/**
 * `system df`, shared by concurrent callers: the engine runs one disk-usage walk at a time and
 * answers a second caller (another berth, an operator's `docker system df`) with an error, so that is retried.
 */
function systemDf(docker: Docker): Promise<Df> {
  let p = inFlight.get(docker);
  if (!p) {
    p = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await docker.df()) as Df;
        } catch (error) {
          if (attempt >= 20 || !/already running|in progress/i.test(String((error as Error).message))) throw error;
          await new Promise((r) => setTimeout(r, 250 + attempt * 100));
        }
      }
    })().finally(() => inFlight.delete(docker));
    inFlight.set(docker, p);
  }
  return p;
}

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
    const df = await systemDf(docker);
    const size = df.Volumes?.find((v) => v.Name === volume)?.UsageData?.Size;
    workspaceBytes = typeof size === 'number' && size >= 0 ? size : null;
  }
  return { writableLayerBytes: typeof info.SizeRw === 'number' ? info.SizeRw : null, workspaceBytes };
}

/** Every volume's size from one `system df` (the engine walks its volumes); null where it does not say. */
export async function measureVolumeSizes(docker: Docker): Promise<Map<string, number | null>> {
  const df = await systemDf(docker);
  return new Map((df.Volumes ?? []).map((v) => {
    const size = v.UsageData?.Size;
    return [v.Name, typeof size === 'number' && size >= 0 ? size : null];
  }));
}

/** Disk use of many containers from one `system df` (the engine walks its storage once). */
export async function measureAllDiskUsage(docker: Docker, workspaceTarget = '/workspace'): Promise<Map<string, DiskUsage>> {
  const df = await systemDf(docker);
  const volumes = new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size]));
  const out = new Map<string, DiskUsage>();
  for (const c of df.Containers ?? []) {
    const volume = (c.Mounts ?? []).find((m) => m.Type === 'volume' && m.Destination === workspaceTarget)?.Name;
    const ws = volume ? volumes.get(volume) : undefined;
    out.set(c.Id, { writableLayerBytes: typeof c.SizeRw === 'number' ? c.SizeRw : null, workspaceBytes: typeof ws === 'number' && ws >= 0 ? ws : null });
  }
  return out;
}
