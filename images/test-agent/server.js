// berth/test-agent: a tiny HTTP agent whose health and lifetime tests can steer.
// Env: PORT (8080), BOOT_DELAY_MS (delay before listening), EXIT_AFTER_MS + EXIT_CODE
// (exit on its own), LOG_EVERY_MS (print a numbered line periodically), HEALTH_FAIL=1
// (start unhealthy).
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const port = Number(process.env.PORT || 8080);
const bootDelay = Number(process.env.BOOT_DELAY_MS || 0);
let healthy = process.env.HEALTH_FAIL !== '1';
let hang = false;
const started = Date.now();

function log(msg) {
  process.stdout.write(`${new Date().toISOString()} test-agent ${msg}\n`);
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const routes = {
  'GET /health': (req, res) => {
    if (hang) return; // never answer: a probe must time out
    if (healthy) send(res, 200, { status: 'ok', uptimeMs: Date.now() - started });
    else send(res, 503, { status: 'failing' });
  },
  'POST /fail': (req, res) => { healthy = false; log('health set to failing'); send(res, 200, { healthy }); },
  'POST /recover': (req, res) => { healthy = true; hang = false; log('health set to ok'); send(res, 200, { healthy }); },
  'POST /hang': (req, res) => { hang = true; log('health set to hang'); send(res, 200, { hang }); },
  'POST /crash': (req, res) => { send(res, 200, { crashing: true }); log('crashing on request'); setTimeout(() => process.exit(1), 20); },
  'POST /exit': (req, res, url) => {
    const code = Number(url.searchParams.get('code') || 0);
    send(res, 200, { exiting: code }); log(`exiting with ${code}`); setTimeout(() => process.exit(code), 20);
  },
  'GET /env': (req, res) => send(res, 200, { names: Object.keys(process.env).sort() }),
  'GET /env/value': (req, res, url) => send(res, 200, { value: process.env[url.searchParams.get('name') || ''] ?? null }),
  'GET /whoami': (req, res) => send(res, 200, { uid: process.getuid(), gid: process.getgid(), hostname: require('node:os').hostname() }),
  'PUT /workspace': async (req, res, url) => {
    const file = path.basename(url.searchParams.get('file') || 'data.txt');
    const body = await readBody(req);
    try { fs.writeFileSync(path.join('/workspace', file), body); send(res, 200, { written: file }); }
    catch (e) { send(res, 500, { error: String(e.message) }); }
  },
  'GET /workspace': (req, res, url) => {
    const file = path.basename(url.searchParams.get('file') || 'data.txt');
    try { send(res, 200, { content: fs.readFileSync(path.join('/workspace', file), 'utf8') }); }
    catch (e) { send(res, 404, { error: String(e.message) }); }
  },
  // Tries a TCP connection from inside the container: isolation tests use it.
  'GET /connect': (req, res, url) => {
    const host = url.searchParams.get('host'); const p = Number(url.searchParams.get('port'));
    const s = net.connect({ host, port: p, timeout: 1500 });
    const done = (ok, why) => { s.destroy(); send(res, 200, { connected: ok, reason: why }); };
    s.once('connect', () => done(true, 'connected'));
    s.once('timeout', () => done(false, 'timeout'));
    s.once('error', (e) => done(false, e.code || e.message));
  },
  'GET /': (req, res) => send(res, 200, { agent: 'berth-test-agent', port }),
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://agent');
  const handler = routes[`${req.method} ${url.pathname}`];
  if (!handler) return send(res, 404, { error: 'not found' });
  try { await handler(req, res, url); } catch (e) { send(res, 500, { error: String(e) }); }
});

function shutdown(sig) { log(`got ${sig}, stopping`); server.close(); setTimeout(() => process.exit(0), 50); }
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

if (process.env.EXIT_AFTER_MS) {
  setTimeout(() => { log('exiting on schedule'); process.exit(Number(process.env.EXIT_CODE || 1)); }, Number(process.env.EXIT_AFTER_MS));
}
if (process.env.LOG_EVERY_MS) {
  let n = 0;
  setInterval(() => log(`tick ${++n}`), Number(process.env.LOG_EVERY_MS));
}

log(`booting (delay ${bootDelay} ms)`);
setTimeout(() => server.listen(port, '0.0.0.0', () => log(`listening on ${port}`)), bootDelay);
