import { realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BerthError } from '../common/errors.js';
import type { BerthConfig } from './schema.js';

/**
 * Settings that would quietly undo what berth promises tenants and the host (README, "What
 * every tenant container gets") are refused at boot, one line naming the key. Each has an
 * explicit opt-out where an operator may really want it.
 */
export function checkPromises(config: BerthConfig, source?: string, realpath: (p: string) => string = realOrResolved): void {
  const where = source ? ` (${source})` : '';
  const refuse = (key: string, value: string, why: string): never => {
    throw new BerthError('INVALID_CONFIG', `invalid config${where}: ${key} = ${value}: ${why}`);
  };

  if (isRootUser(config.runtime.user) && !config.runtime.allowRootUser) {
    refuse('runtime.user', JSON.stringify(config.runtime.user), 'tenant containers never run as root; use a non-zero uid, or set runtime.allowRootUser: true to accept root');
  }
  if (!isLoopback(config.runtime.bindAddress) && !config.runtime.publicBind) {
    refuse('runtime.bindAddress', JSON.stringify(config.runtime.bindAddress), 'publishes every tenant port beyond this host; use a loopback address, or set runtime.publicBind: true to expose tenants on purpose');
  }
  const tcp = insecureTcpReason(config.docker);
  if (tcp && !config.docker.allowInsecureTcp) {
    refuse('docker.host', config.docker.host, `${tcp}; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (docker.tlsVerify, docker.certPath), or docker.allowInsecureTcp: true to accept it`);
  }
  for (const [name, plan] of Object.entries(config.plans)) {
    for (const [i, entry] of (plan.egressAllow ?? []).entries()) {
      if (!validAllow(entry)) refuse(`plans.${name}.egressAllow.${i}`, entry, 'must be an IPv4 CIDR, optionally with :port (e.g. 10.0.0.2/32:53)');
    }
  }
  const forbidden = forbiddenPaths(config, realpath);
  for (const [i, m] of config.runtime.mounts.entries()) {
    const real = realpath(m.source);
    const hit = forbidden.find((f) => real === f.path || isInside(f.path, real) || (f.inside && isInside(real, f.path)));
    if (hit) {
      const shown = real === path.resolve(m.source) ? m.source : `${m.source} (really ${real})`;
      refuse(`runtime.mounts.${i}.source`, shown, `${real === hit.path ? 'is' : isInside(hit.path, real) ? 'contains' : 'is inside'} ${hit.what}; tenant containers never get it`);
    }
  }
}

function validAllow(entry: string): boolean {
  const m = /^([0-9.]+)\/(\d{1,2})(?::(\d{1,5}))?$/.exec(entry);
  if (!m || !net.isIPv4(m[1] ?? '') || Number(m[2]) > 32) return false;
  return m[3] === undefined || (Number(m[3]) >= 1 && Number(m[3]) <= 65535);
}

export function isRootUser(user: string): boolean {
  return /^0+(:|$)/.test(user.trim());
}

/** Loopback addresses only: 127.0.0.0/8, ::1 and "localhost". */
export function isLoopback(address: string): boolean {
  const a = address.trim().replace(/^\[|\]$/g, '');
  if (a === 'localhost') return true;
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) return a === '::1' || /^::ffff:127\./i.test(a);
  return false;
}

/** Why a tcp:// engine address would be unprotected, or undefined when it is not (socket, TLS, loopback). */
export function insecureTcpReason(docker: Pick<BerthConfig['docker'], 'host' | 'tlsVerify'>): string | undefined {
  const m = /^(tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(docker.host);
  if (!m) return undefined;
  if (m[1] === 'https' || docker.tlsVerify) return undefined;
  if (isLoopback(m[2] ?? '')) return undefined;
  return 'plain TCP to a remote engine gives root on that host to anyone who can reach the port, and the traffic is unencrypted';
}

interface Forbidden {
  path: string;
  what: string;
  /** Also refuse anything below it (not only the path itself and what contains it). */
  inside: boolean;
}

function forbiddenPaths(config: BerthConfig, realpath: (p: string) => string): Forbidden[] {
  const list: Forbidden[] = [{ path: '/', what: 'the host root', inside: false }];
  const add = (p: string, what: string, inside: boolean): void => {
    list.push({ path: realpath(p), what, inside });
    if (realpath(p) !== path.resolve(p)) list.push({ path: path.resolve(p), what, inside });
  };
  const socket = /^unix:\/\//.test(config.docker.host) ? config.docker.host.slice('unix://'.length) : config.docker.host.startsWith('/') ? config.docker.host : undefined;
  if (socket) add(socket, `the engine socket (${socket})`, false);
  add('/var/run/docker.sock', 'the Docker socket', false);
  add('/run/containerd/containerd.sock', 'the containerd socket', false);
  add('/var/run/containerd/containerd.sock', 'the containerd socket', false);
  for (const p of ['/proc', '/sys', '/dev', '/etc', '/run', '/var/run', '/var/lib/docker', '/var/lib/containerd']) add(p, p, true);
  add(config.dataDir, `berth's data dir (${config.dataDir})`, true);
  return list;
}

/** Whether `child` is strictly below `parent`. */
function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The real path, resolving symlinks; a path that does not exist yet is taken as written. */
function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
