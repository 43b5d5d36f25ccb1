import type Docker from 'dockerode';
import { LABELS } from '../labels.js';

/** The engine's answer when a name matches several networks. */
export const AMBIGUOUS_NETWORK = /is ambiguous|matches found based on name/i;

/**
 * Two berths (or two processes of one fleet) that create the same network at once can both
 * pass the engine's `CheckDuplicate`, which is best effort, and leave two networks with one
 * name; every later use of the name then fails as ambiguous. Each racer keeps the oldest
 * (ties by id) and removes the others that carry the same scope's labels, so all converge on
 * one without talking to each other. A duplicate that already has containers stays (removing
 * it would cut them off); the caller's error then names the problem. Returns how many were removed.
 */
export async function settleDuplicateNetworks(docker: Docker, name: string, scope: string | undefined): Promise<number> {
  const same = (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
  if (same.length < 2) return 0;
  same.sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
  let removed = 0;
  for (const extra of same.slice(1)) {
    const labels = extra.Labels ?? {};
    if (labels[LABELS.managed] !== 'true' || (scope !== undefined && labels[LABELS.scope] !== scope)) continue;
    try {
      await docker.getNetwork(extra.Id).remove();
      removed++;
    } catch {
      // Gone already (another racer removed it) or in use: either way not ours to force.
    }
  }
  return removed;
}
