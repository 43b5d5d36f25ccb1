import { BerthError } from '../../common/errors.js';

/**
 * An IPv4 pool (a CIDR) cut into equal subnets of `prefix` bits. berth hands these to
 * dedicated tenant networks itself, so the count is bounded by the pool, not by Docker's
 * default address pools (which run out near 30 networks).
 */
export class SubnetPool {
  readonly base: number;
  readonly poolPrefix: number;
  readonly size: number;

  constructor(readonly cidr: string, readonly prefix: number) {
    const parsed = parseCidr(cidr);
    if (!parsed) throw new BerthError('INVALID_CONFIG', `network.subnetPool = ${cidr}: not an IPv4 CIDR like 10.211.0.0/16`);
    if (prefix < parsed.prefix || prefix > 30) {
      throw new BerthError('INVALID_CONFIG', `network.subnetPrefix = ${prefix}: must be between the pool's /${parsed.prefix} and /30`);
    }
    this.poolPrefix = parsed.prefix;
    this.base = parsed.address;
    this.size = 2 ** (prefix - parsed.prefix);
  }

  /** The i-th subnet of the pool, as a CIDR. */
  at(index: number): string {
    if (index < 0 || index >= this.size) throw new RangeError(`subnet index ${index} outside 0..${this.size - 1}`);
    return `${formatIp(this.base + index * 2 ** (32 - this.prefix))}/${this.prefix}`;
  }

  /** A random subnet not in `taken`, or SUBNETS_EXHAUSTED. */
  pick(taken: ReadonlySet<string>, random: () => number = Math.random): string {
    const free: number[] = [];
    for (let i = 0; i < this.size; i++) if (!taken.has(this.at(i))) free.push(i);
    const index = free[Math.min(free.length - 1, Math.floor(random() * free.length))];
    if (index === undefined) {
      throw new BerthError('SUBNETS_EXHAUSTED', `every /${this.prefix} subnet of ${this.cidr} is in use (${this.size}); widen network.subnetPool or use a longer network.subnetPrefix`);
    }
    return this.at(index);
  }
}

function parseCidr(cidr: string): { address: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const raw = octets.reduce((acc, o) => acc * 256 + o, 0);
  const block = 2 ** (32 - prefix);
  // The pool starts at its network address, whatever host bits were written.
  return { address: Math.floor(raw / block) * block, prefix };
}

function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
