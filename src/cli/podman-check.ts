import type { Check } from './doctor-checks.js';

/**
 * Podman's Docker-compatible API accepts `com.docker.network.bridge.enable_icc=false` with a
 * warning and ignores it (netavark has no such switch): tenants on berth's shared bridge can
 * reach each other there. Said by `berth doctor` whenever the engine is Podman.
 */
export function podmanIsolationCheck(): Check {
  return {
    name: 'isolation',
    status: 'warn',
    detail: 'Podman ignores enable_icc=false: tenants on the shared network can reach each other',
    fix: 'on Podman, give plans `dedicatedNetwork: true` (one bridge per tenant) and do not rely on the shared network to separate tenants',
  };
}
