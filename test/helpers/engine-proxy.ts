import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A unix-socket proxy in front of the real Docker socket. Pointing a daemon's DOCKER_HOST at
 * it lets a test take "the engine" away and bring it back without stopping the shared dockerd.
 */
export class EngineProxy {
  readonly socketPath: string;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target = '/var/run/docker.sock') {
    this.socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'berth-engine-')), 'docker.sock');
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  async open(): Promise<void> {
    await rm(this.socketPath, { force: true });
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      this.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socketPath, resolve));
  }

  /** The engine "goes away": the socket disappears and open connections (event streams) drop. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }
}
