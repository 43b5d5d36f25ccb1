import type Docker from 'dockerode';

export interface DiskLimitSupport {
  supported: boolean;
  /** The storage driver and its backing file system, and what would make limits work. */
  detail: string;
}

/**
 * Whether the engine can cap a container's writable layer (HostConfig.StorageOpt size).
 * overlay2 can only on xfs mounted with pquota; btrfs, zfs, devicemapper and windowsfilter can.
 * For overlay2 on xfs the mount option is not visible through the API, so the first create
 * that asks for a limit settles it (see `storageOptRefused`).
 */
export async function detectDiskLimitSupport(docker: Docker): Promise<DiskLimitSupport> {
  const info = (await docker.info()) as { Driver?: string; DriverStatus?: Array<[string, string]> };
  const driver = info.Driver ?? 'unknown';
  const backing = (info.DriverStatus ?? []).find(([k]) => k === 'Backing Filesystem')?.[1] ?? 'unknown';
  if (['btrfs', 'zfs', 'devicemapper', 'windowsfilter'].includes(driver)) return { supported: true, detail: `${driver} storage driver: writable-layer size limits apply` };
  if (driver === 'overlay2' && backing === 'xfs') return { supported: true, detail: 'overlay2 on xfs: writable-layer size limits apply if /var/lib/docker is mounted with pquota' };
  return {
    supported: false,
    detail: `${driver} on ${backing}: the engine cannot cap a container's writable layer; plan disk is measured and alerted on, not enforced (put /var/lib/docker on xfs mounted with pquota to enforce it)`,
  };
}

/** The engine's answer when StorageOpt size is asked of a driver or mount that cannot do it. */
export function storageOptRefused(error: unknown): boolean {
  return /storage-?opt|pquota|quota.*not supported|size.*not supported/i.test(String((error as { json?: { message?: string }; message?: string })?.json?.message ?? (error as Error)?.message ?? ''));
}

/** The /health component: up when limits apply, `unsupported` (a warning, not an outage) when not. */
export function diskLimitsHealth(support: DiskLimitSupport | undefined): { status: 'up' | 'starting' | 'unsupported'; detail: string } {
  if (!support) return { status: 'starting', detail: 'the engine has not answered yet' };
  return { status: support.supported ? 'up' : 'unsupported', detail: support.detail };
}
