import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpProber, probeHost } from '../../src/monitor/http-prober.js';

/** A local agent stand-in whose /health answer the test picks per path; counts TCP connections. */
describe('http prober (real sockets on 127.0.0.1)', () => {
  let server: http.Server;
  let port: number;
  let connections = 0;
  const sockets = new Set<import('node:net').Socket>();
  const prober = new HttpProber('127.0.0.1');
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('ok');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
      else res.writeHead(503).end('failing');
    });
    // Node clients keep a socket for the server's advertised keep-alive timeout less 1 s.
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    prober.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('passes on 2xx and 3xx, fails on other statuses with the reason', async () => {
    expect(await prober.probe(port, '/ok', 1000)).toMatchObject({ ok: true, statusCode: 200, failure: null, error: null });
    expect(await prober.probe(port, '/redirect', 1000)).toMatchObject({ ok: true, statusCode: 302 });
    const failing = await prober.probe(port, '/broken', 1000);
    expect(failing).toMatchObject({ ok: false, statusCode: 503, failure: 'status' });
    expect(failing.error).toContain('HTTP 503');
    expect(failing.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('times out a hanging agent and reports a closed port as refused', async () => {
    const started = Date.now();
    expect(await prober.probe(port, '/slow', 300)).toMatchObject({ ok: false, failure: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await prober.probe(closedPort, '/ok', 1000)).toMatchObject({ ok: false, failure: 'refused' });
  });

  it('reuses one connection for probes closer together than the idle timeout, and recovers when the server drops it', async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await prober.probe(port, '/ok', 1000)).ok).toBe(true);
    expect(connections - before).toBe(1);
    // The server drops the idle connection: the next probe still passes, on a new one.
    for (const socket of sockets) socket.destroy();
    expect((await prober.probe(port, '/ok', 1000)).ok).toBe(true);
    expect(connections - before).toBe(2);
  });

  it('only ever targets an IP literal: wildcards and names fall back to loopback', () => {
    expect(probeHost('127.0.0.1')).toBe('127.0.0.1');
    expect(probeHost('0.0.0.0')).toBe('127.0.0.1');
    expect(probeHost('::')).toBe('127.0.0.1');
    expect(probeHost('example.com')).toBe('127.0.0.1');
    expect(probeHost('10.1.2.3')).toBe('10.1.2.3');
    expect(prober.host).toBe('127.0.0.1');
  });
});
