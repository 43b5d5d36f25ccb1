import net from 'node:net';

/** Hands out host ports from a range, skipping any already bound on 127.0.0.1. */
export class PortPool {
  private next: number;
  private readonly free: number[] = [];

  constructor(private readonly start: number, private readonly end: number) {
    this.next = start;
  }

  async take(): Promise<number> {
    const reused = this.free.shift();
    if (reused !== undefined && (await isFree(reused))) return reused;
    while (this.next <= this.end) {
      const port = this.next++;
      if (await isFree(port)) return port;
    }
    throw new Error(`no free port left in ${this.start}-${this.end}`);
  }

  release(port: number): void {
    this.free.push(port);
  }
}

export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free ephemeral port for a process the bench starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
