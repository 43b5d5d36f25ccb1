import net from 'node:net';
import { BerthError } from '../../common/errors.js';

/** Whether a TCP port can be bound on an address right now. */
export type HostPortCheck = (port: number, address: string) => Promise<boolean>;

export interface PortAllocatorOptions {
  start: number;
  end: number;
  bindAddress: string;
  random?: () => number;
  isFree?: HostPortCheck;
  /** How many host-busy candidates to skip before giving up. */
  maxHostBusy?: number;
}

/**
 * Picks host ports from the configured range. The store's UNIQUE host_port column is the
 * real allocator (the caller inserts and retries on a violation); this only proposes a
 * candidate that berth has not handed out and that nothing on the host is bound to. Random
 * rather than lowest-first, so concurrent creates (and other berths on the host) rarely collide.
 */
export class PortAllocator {
  private readonly random: () => number;
  private readonly isFree: HostPortCheck;
  private readonly maxHostBusy: number;

  constructor(private readonly options: PortAllocatorOptions) {
    this.random = options.random ?? Math.random;
    this.isFree = options.isFree ?? hostPortFree;
    this.maxHostBusy = options.maxHostBusy ?? 64;
  }

  get range(): string {
    return `${this.options.start}-${this.options.end}`;
  }

  /** A candidate outside `taken` (ports in the store) and `avoid` (ports that just failed). */
  async pick(taken: ReadonlySet<number>, avoid: ReadonlySet<number> = new Set()): Promise<number> {
    const skipped = new Set(avoid);
    for (let attempt = 0; attempt <= this.maxHostBusy; attempt++) {
      const port = pickFreePort(this.options.start, this.options.end, (p) => taken.has(p) || skipped.has(p), this.random);
      if (port === undefined) break;
      if (await this.isFree(port, this.options.bindAddress)) return port;
      skipped.add(port);
    }
    const size = this.options.end - this.options.start + 1;
    throw new BerthError(
      'PORTS_EXHAUSTED',
      `no free host port in ${this.range}: ${taken.size} of ${size} are allocated to instances and ${skipped.size} more are busy on the host; widen ports.start/ports.end or delete instances`,
    );
  }
}

/** A uniformly random port in [start, end] for which `excluded` is false, or undefined. */
export function pickFreePort(start: number, end: number, excluded: (port: number) => boolean, random: () => number): number | undefined {
  const free: number[] = [];
  for (let p = start; p <= end; p++) if (!excluded(p)) free.push(p);
  if (free.length === 0) return undefined;
  return free[Math.min(free.length - 1, Math.floor(random() * free.length))];
}

/** Binds and releases the port: the cheapest honest answer to "is anything listening there?". */
export function hostPortFree(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: address, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
