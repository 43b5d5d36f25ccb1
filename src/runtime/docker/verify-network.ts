import { BerthError } from '../../common/errors.js';
import type { NetworkSpec } from '../runtime-driver.js';

export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

/** What the engine says about an existing network (the fields berth checks). */
export interface ExistingNetwork {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
}

/**
 * An existing network is used only if it is the one berth would have made: its labels (scope,
 * kind, tenant) and its isolation. A same-named network made by someone else, or by hand with
 * inter-container traffic on, would silently join tenants together; it is refused with the fix.
 */
export function verifyNetwork(existing: ExistingNetwork, spec: NetworkSpec, engine: 'docker' | 'podman' = 'docker'): void {
  const problems: string[] = [];
  const labels = existing.Labels ?? {};
  // The egress labels only record the policy (networks made before them lack them); the policy itself is enforced by rules.
  const missing = Object.entries(spec.labels).filter(([k, v]) => !k.startsWith('berth.egress') && labels[k] !== v).map(([k, v]) => `${k}=${v}`);
  if (missing.length) problems.push(`it lacks berth's labels ${missing.join(', ')}`);
  if ((existing.Driver ?? 'bridge') !== 'bridge') problems.push(`its driver is ${existing.Driver}, not bridge`);
  const icc = (existing.Options ?? {})[ICC_OPTION];
  // Podman's networks have no inter-container switch at all (berth cannot make one with it off
  // either); `berth doctor` warns that tenants sharing a Podman network are not isolated.
  if (engine === 'docker' && !spec.icc && icc !== 'false') problems.push(`inter-container traffic is on (${ICC_OPTION}=${icc ?? 'unset, i.e. true'})`);
  const masquerade = (existing.Options ?? {})['com.docker.network.bridge.enable_ip_masquerade'];
  if (spec.egress === false && masquerade !== 'false') problems.push('it allows egress (NAT out) where the plan asks for none');
  if (problems.length === 0) return;
  throw new BerthError('NETWORK_UNTRUSTED', `network ${existing.Name} exists but berth will not use it: ${problems.join('; ')}. ` +
    `Fix: remove it (\`docker network rm ${existing.Name}\`) once nothing uses it and berth will create it, or set network.sharedName to another name`,
  { details: { network: existing.Name, problems } });
}
