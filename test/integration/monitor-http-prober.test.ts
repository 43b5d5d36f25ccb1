import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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

  it('opens one connection per probe and leaves none open behind it', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await prober.probe(port, '/ok', 1000)).ok).toBe(true);
    expect(connections - before).toBe(5);
    const end = Date.now() + 2000;
    while (sockets.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(sockets.size).toBe(0);
  });

  it('reads a status line split over packets; an agent that hangs up or answers something else fails', async () => {
    const raw = net.createServer((socket) => {
      socket.once('data', (data) => {
        const path = String(data).split(' ')[1];
        if (path === '/split') {
          socket.write('HTT');
          setTimeout(() => socket.end('P/1.1 204 No Content\r\n\r\n'), 30);
        } else if (path === '/hangup') socket.destroy();
        else socket.end('SSH-2.0-not-http\r\n');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const rawPort = (raw.address() as AddressInfo).port;
    try {
      expect(await prober.probe(rawPort, '/split', 1000)).toMatchObject({ ok: true, statusCode: 204 });
      expect(await prober.probe(rawPort, '/hangup', 1000)).toMatchObject({ ok: false, failure: 'reset' });
      expect(await prober.probe(rawPort, '/other', 1000)).toMatchObject({ ok: false, failure: 'error', error: 'health check answer is not HTTP' });
      // A path that would split the request is refused before anything is sent.
      expect(await prober.probe(rawPort, '/x\r\nHost: elsewhere', 1000)).toMatchObject({ ok: false, failure: 'error' });
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
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
