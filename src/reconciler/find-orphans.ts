import { BerthError, describeError } from '../common/errors.js';
import { containerName, workspaceVolumeOf } from '../core/instances/container-spec.js';
import { LABELS, scopeFilter } from '../runtime/labels.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import type { InstanceRecord, InstancesRepo } from '../store/repositories/instances-repo.js';
import type { NetworksRepo } from '../store/repositories/networks-repo.js';
import type { WorkspacesRepo } from '../store/repositories/workspaces-repo.js';

export interface OrphanContainer {
  id: string;
  name: string;
  state: string;
  instance: string | null;
  tenant: string | null;
  /** Set when this is a second container for an instance that has its own. */
  duplicateOf: string | null;
  reason: string;
}

export interface OrphanVolume {
  name: string;
  instance: string | null;
  instanceName: string;
  tenant: string | null;
  reason: string;
}

export interface OrphanNetwork {
  id: string;
  name: string;
  tenant: string | null;
  reason: string;
}

export interface Orphans {
  containers: OrphanContainer[];
  /** Workspaces whose instance is gone and that nobody asked to keep. */
  volumes: OrphanVolume[];
  /** Workspaces kept on purpose (`rm --keep-data`): listed, removed only when asked. */
  keptVolumes: OrphanVolume[];
  networks: OrphanNetwork[];
}

export interface OrphanDeps {
  repo: Pick<InstancesRepo, 'listAll'>;
  workspaces: Pick<WorkspacesRepo, 'keptVolumes' | 'unkeepVolume'>;
  networksRepo: Pick<NetworksRepo, 'list' | 'delete'>;
  runtime: RuntimeDriver;
  /** Only objects labelled with this scope are ever looked at. */
  scope: string;
  /** Unix ms; a tenant network allocated less than NETWORK_GRACE_MS ago may be mid-create. */
  now: () => number;
}

export const NETWORK_GRACE_MS = 120_000;

/**
 * What berth made in its scope that no instance row accounts for, by the reconciler's rules:
 * a labelled container whose instance has no row (or a second container for one that does);
 * a workspace volume no row uses; a dedicated tenant network no row uses;
 * with `sharedNetwork` (gc on request, never the periodic pass), the shared bridge when no row
 * uses it.
 * Unlabelled and other-scope objects are never listed: every query filters on
 * berth.managed=true and berth.scope=<scope>, and every object is checked again here.
 */
export async function findOrphans(deps: OrphanDeps, options: { sharedNetwork?: boolean } = {}): Promise<Orphans> {
  const filter = scopeFilter(deps.scope);
  // Observe the runtime before reading the store: an object seen here was made after its row
  // was written, so a missing row really means an orphan.
  const [containers, volumes, networks] = await Promise.all([
    deps.runtime.listContainers({ labels: filter, all: true }),
    deps.runtime.listVolumes({ ...filter, [LABELS.kind]: 'workspace' }),
    deps.runtime.listNetworks({ ...filter, [LABELS.kind]: 'network' }),
  ]);
  const rows = await deps.repo.listAll();
  const kept = await deps.workspaces.keptVolumes();
  const allocated = await deps.networksRepo.list();
  const byId = new Map<string, InstanceRecord>(rows.map((r) => [r.id, r]));
  const usedVolumes = new Set(rows.map((r) => workspaceVolumeOf(deps.scope, r)));
  const usedNetworks = new Set(rows.map((r) => r.networkName));
  const fresh = new Set(allocated.filter((n) => deps.now() - Date.parse(n.createdAt) < NETWORK_GRACE_MS).map((n) => n.name));
  const inScope = (labels: Record<string, string>): boolean => labels[LABELS.managed] === 'true' && labels[LABELS.scope] === deps.scope;

  const orphans: Orphans = { containers: [], volumes: [], keptVolumes: [], networks: [] };
  for (const c of containers) {
    if (!inScope(c.labels)) continue;
    const instance = c.labels[LABELS.instance] ?? null;
    const row = instance ? byId.get(instance) : undefined;
    const base = { id: c.id, name: c.name, state: c.state, instance, tenant: c.labels[LABELS.tenant] ?? null };
    if (!row) {
      orphans.containers.push({ ...base, duplicateOf: null, reason: instance ? `instance ${instance} has no row` : 'no berth.instance label' });
    } else if (row.status === 'upgrading') {
      // Mid-rollout an instance has two containers (old and -next); the rollout removes one.
      continue;
    } else if (row.containerId !== null && row.containerId !== c.id && c.name !== containerName(deps.scope, row.name)) {
      orphans.containers.push({ ...base, duplicateOf: row.name, reason: `a second container for ${row.name}` });
    }
  }
  for (const v of volumes) {
    if (!inScope(v.labels)) continue;
    const name = v.labels[LABELS.instanceName] ?? '';
    // A workspace belongs to the row that records it (by id-derived name), never to a name.
    if (usedVolumes.has(v.name)) continue;
    const orphan = { name: v.name, instance: v.labels[LABELS.instance] ?? null, instanceName: name, tenant: v.labels[LABELS.tenant] ?? null };
    if (kept.has(v.name)) orphans.keptVolumes.push({ ...orphan, reason: `kept when ${name} was deleted` });
    else orphans.volumes.push({ ...orphan, reason: `no instance uses it (was ${name})` });
  }
  for (const n of networks) {
    if (!inScope(n.labels)) continue;
    const tenant = n.labels[LABELS.tenant];
    if (!tenant) {
      // The shared bridge: the next create makes it again, so only an operator's gc removes it
      // (a row without a network name is an old one on the shared bridge).
      if (options.sharedNetwork && !usedNetworks.has(n.name) && !usedNetworks.has(null)) {
        orphans.networks.push({ id: n.id, name: n.name, tenant: null, reason: 'shared network; no instance uses it' });
      }
      continue;
    }
    if (usedNetworks.has(n.name) || fresh.has(n.name)) continue;
    orphans.networks.push({ id: n.id, name: n.name, tenant, reason: `no instance uses it (tenant ${tenant})` });
  }
  return orphans;
}

export interface GcResult {
  removed: Omit<Orphans, 'keptVolumes'>;
  /** Kept workspaces left in place (removed only with keptVolumes: true). */
  kept: OrphanVolume[];
  failed: Array<{ kind: 'container' | 'volume' | 'network'; name: string; error: string }>;
}

/**
 * Removes orphans: containers first, then networks (once their containers are gone), then
 * workspace volumes; kept workspaces only with `keptVolumes: true`. Each removal is checked
 * against the store again right before it happens, so a row written meanwhile wins.
 */
export async function removeOrphans(deps: OrphanDeps, orphans: Orphans, options: { keptVolumes: boolean }): Promise<GcResult> {
  const result: GcResult = { removed: { containers: [], volumes: [], networks: [] }, kept: [], failed: [] };
  const current = async (): Promise<{ ids: Set<string>; volumes: Set<string>; networks: Set<string | null> }> => {
    const rows = await deps.repo.listAll();
    return { ids: new Set(rows.map((r) => r.id)), volumes: new Set(rows.map((r) => workspaceVolumeOf(deps.scope, r))), networks: new Set(rows.map((r) => r.networkName)) };
  };
  const fail = (kind: 'container' | 'volume' | 'network', name: string, error: unknown): void => {
    if (error instanceof BerthError && error.code === 'RUNTIME_UNAVAILABLE') throw error;
    result.failed.push({ kind, name, error: describeError(error) });
  };
  for (const c of orphans.containers) {
    // A second container for a live instance stays an orphan even though the row exists.
    if (c.instance && c.duplicateOf === null && (await current()).ids.has(c.instance)) continue;
    try {
      await deps.runtime.removeContainer(c.id);
      result.removed.containers.push(c);
    } catch (error) {
      fail('container', c.name, error);
    }
  }
  for (const n of orphans.networks) {
    const inUse = (await current()).networks;
    if (inUse.has(n.name) || (n.tenant === null && inUse.has(null))) continue;
    try {
      await deps.runtime.removeNetwork(n.name);
      if (n.tenant) await deps.networksRepo.delete(n.tenant);
      result.removed.networks.push(n);
    } catch (error) {
      fail('network', n.name, error);
    }
  }
  const volumes = [...orphans.volumes, ...(options.keptVolumes ? orphans.keptVolumes : [])];
  result.kept = options.keptVolumes ? [] : orphans.keptVolumes;
  for (const v of volumes) {
    if ((await current()).volumes.has(v.name)) continue;
    // A workspace kept meanwhile (a delete with keepData finishing) is not an orphan.
    if (!options.keptVolumes && (await deps.workspaces.keptVolumes()).has(v.name)) continue;
    try {
      await deps.runtime.removeVolume(v.name);
      await deps.workspaces.unkeepVolume(v.name);
      result.removed.volumes.push(v);
    } catch (error) {
      fail('volume', v.name, error);
    }
  }
  return result;
}
