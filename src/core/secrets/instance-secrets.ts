import type { InstancesRepo } from '../../store/repositories/instances-repo.js';
import type { SecretBox } from './secret-box.js';

/** The secret values of an instance (to mask them in what berth shows), or none. */
export function instanceSecretValues(repo: Pick<InstancesRepo, 'get'>, box: SecretBox): (instanceId: string) => Promise<string[]> {
  return async (instanceId) => {
    const row = await repo.get(instanceId);
    return row?.secretsSealed ? Object.values(box.open(row.secretsSealed)) : [];
  };
}
