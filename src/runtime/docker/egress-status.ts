import type { ComponentHealth } from '../../common/health.js';
import type { Logger } from '../../common/logger.js';
import type { DockerDriver } from './docker-driver.js';

export interface EgressStatus {
  health(): ComponentHealth;
}

/**
 * Boot step for egress: re-applies the rules of every network of the scope (they do not
 * survive a host reboot or a firewall reload) and reports on /health what is in place.
 */
export async function boundEgress(driver: DockerDriver, scope: string, engineUp: boolean, logger: Logger): Promise<EgressStatus> {
  let state: ComponentHealth = { status: 'starting', detail: 'egress rules are applied when the engine answers' };
  const refresh = async (): Promise<void> => {
    try {
      const applied = await driver.applyEgressForScope(scope);
      const present = await driver.egressRules(scope);
      state = { status: 'up', detail: `${present ?? applied} iptables rules of scope ${scope} in DOCKER-USER and INPUT` };
    } catch (error) {
      state = { status: 'degraded', detail: `egress rules could not be applied: ${(error as Error).message}` };
      logger.warn({ reason: (error as Error).message }, 'egress rules could not be applied; tenant egress is not restricted');
    }
  };
  if (engineUp) await refresh();
  return {
    health: () => state,
  };
}
