// The image's HEALTHCHECK: GET /health on berth's own port, no curl needed.
// Healthy when berth answers 200 and its store is up. A missing engine leaves berth
// "degraded" but healthy here: berth keeps serving reads and reconnects by itself, and a
// restart would not bring the engine back.
import http from 'node:http';

const port = Number(process.env.BERTH_PORT || 8081);
const host = process.env.BERTH_HEALTHCHECK_HOST || '127.0.0.1';
const fail = (why) => {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
};

const req = http.get({ host, port, path: '/health', timeout: 4000 }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => { body += chunk; });
  res.on('end', () => {
    if (res.statusCode !== 200) fail(`/health answered ${res.statusCode}`);
    let health;
    try {
      health = JSON.parse(body);
    } catch {
      fail('/health did not answer JSON');
    }
    const store = health.components?.store;
    if (!store || store.status !== 'up') fail(`store is ${store?.status ?? 'missing'}: ${store?.detail ?? ''}`);
    process.stdout.write(`healthy: ${health.status}, berth ${health.version}\n`);
    process.exit(0);
  });
});
req.on('timeout', () => req.destroy(new Error('timed out after 4 s')));
req.on('error', (error) => fail(`${host}:${port}: ${error.message}`));
