import type { BerthConfig } from '../config/schema.js';
import { insecureTcpReason, isLoopback } from '../config/promise-checks.js';
import type { Check } from './doctor-checks.js';
import { EgressFirewall } from '../runtime/docker/egress-rules.js';

/** How berth reaches the engine, and whether anyone else on the network could too. */
export function checkEngineConnection(docker: BerthConfig['docker']): Check {
  const name = 'engine connection';
  const host = docker.host;
  if (host.startsWith('unix://') || host.startsWith('/')) return { name, status: 'ok', detail: `local socket ${host.replace(/^unix:\/\//, '')} (not reachable over the network)` };
  const m = /^(tcp|http|https):\/\/\[?([^\]/:]+)\]?/.exec(host);
  const target = m?.[2] ?? host;
  if (m?.[1] === 'https' || docker.tlsVerify) {
    return docker.tlsVerify
      ? { name, status: 'ok', detail: `TLS to ${host}, engine certificate checked against ${docker.certPath || '~/.docker'}/ca.pem, client certificate presented` }
      : { name, status: 'warn', detail: `https to ${host} without docker.tlsVerify: the engine's certificate is not checked against berth's CA`, fix: 'set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH' };
  }
  if (isLoopback(target)) return { name, status: 'warn', detail: `plain TCP to ${host} (loopback: any local user can drive the engine as root)`, fix: 'prefer the unix socket, or TLS (DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH)' };
  const why = insecureTcpReason(docker) ?? 'plain TCP';
  return { name, status: docker.allowInsecureTcp ? 'warn' : 'fail', detail: `insecure TCP to ${host}: ${why}${docker.allowInsecureTcp ? ' (accepted by docker.allowInsecureTcp)' : ''}`, fix: 'use TLS: DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH with ca.pem, cert.pem and key.pem' };
}

/** Components the daemon reports on /health that doctor shows as host-safety checks. */
export const HOST_SAFETY_COMPONENTS: Record<string, string> = {
  'disk-limits': 'disk limits',
  egress: 'egress rules',
};

/** A daemon /health component as a doctor check: up → ok, degraded → warn, down → fail. */
export function componentCheck(name: string, component: { status: string; detail?: string } | undefined, fix: string): Check | undefined {
  if (!component) return undefined;
  const status = component.status === 'up' || component.status === 'ok' || component.status === 'disabled' ? 'ok' : component.status === 'down' ? 'fail' : 'warn';
  return { name, status, detail: component.detail ?? component.status, ...(status === 'ok' ? {} : { fix }) };
}

/** With the daemon down: berth's egress rules for the scope, read from iptables directly. */
export async function checkEgressRules(scope: string, firewall = new EgressFirewall()): Promise<Check> {
  try {
    const rules = await firewall.list(scope);
    const byChain = (chain: string): number => rules.filter((r) => r.chain === chain).length;
    return { name: 'egress rules', status: 'ok', detail: `${rules.length} rules of scope ${scope} (DOCKER-USER ${byChain('DOCKER-USER')}, INPUT ${byChain('INPUT')}); re-applied when berth starts` };
  } catch (error) {
    return { name: 'egress rules', status: 'warn', detail: `cannot read iptables: ${(error as Error).message}`, fix: 'run doctor as root; berth itself needs root and the iptables binary to enforce plan egress' };
  }
}
