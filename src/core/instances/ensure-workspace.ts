import { BerthError } from '../../common/errors.js';
import { LABELS, scopeFilter } from '../../runtime/labels.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { InstanceRecord } from '../../store/repositories/instances-repo.js';
import { workspaceLabels, workspaceVolumeOf } from './container-spec.js';

/**
 * Makes sure the instance's workspace volume exists and is really this tenant's. A volume of
 * that name already labelled for the instance's tenant in this scope is used (a restart, or
 * a kept workspace attached on purpose); otherwise it is created and then checked to carry
 * this instance's id, because the engine answers a create of an existing name with the
 * existing volume: a volume is never adopted by its name alone.
 */
export async function ensureWorkspace(runtime: RuntimeDriver, scope: string, row: InstanceRecord): Promise<string> {
  const name = workspaceVolumeOf(scope, row);
  const tenantWorkspaces = { ...scopeFilter(scope), [LABELS.kind]: 'workspace', [LABELS.tenant]: row.tenant };
  if ((await runtime.listVolumes(tenantWorkspaces)).some((v) => v.name === name)) return name;
  await runtime.ensureVolume(name, workspaceLabels(scope, row));
  const made = await runtime.listVolumes({ ...tenantWorkspaces, [LABELS.instance]: row.id });
  // On a cluster the volume appears on its node with the task (labels from the mount); here
  // only a same-named volume listed without this instance's labels is refused.
  if (runtime.lazyVolumes && !(await runtime.listVolumes({ ...scopeFilter(scope), [LABELS.kind]: 'workspace' })).some((v) => v.name === name)) return name;
  if (!made.some((v) => v.name === name)) {
    throw new BerthError('CONFLICT', `a volume named ${name} exists and is not the workspace of instance ${row.name}; berth never adopts a volume by name`);
  }
  return name;
}
