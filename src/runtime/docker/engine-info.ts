import type { RuntimeInfo } from '../runtime-driver.js';

/** The parts of the Engine API's GET /version that say which engine answers. */
export interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  Components?: { Name?: string; Version?: string }[] | null;
}

/**
 * Docker or Podman? Podman's Docker-compatible API answers GET /version with a component named
 * "Podman Engine"; Docker's components are "Engine", "containerd", "runc".
 */
export function engineInfo(v: VersionBody): RuntimeInfo {
  const podman = v.Components?.find((c) => /podman/i.test(c.Name ?? ''));
  if (podman) return { engine: 'podman', version: podman.Version ?? v.Version ?? 'unknown', apiVersion: v.ApiVersion ?? 'unknown' };
  return { engine: 'docker', version: v.Version ?? 'unknown', apiVersion: v.ApiVersion ?? 'unknown' };
}
