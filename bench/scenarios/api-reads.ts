import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BerthSide } from '../berth/berth-side.js';
import type { Section } from '../lib/report.js';
import { markdownTable, ms, num, times } from '../lib/table.js';
import { ratio } from '../lib/stats.js';

interface ReadRow {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  bytesPerRequest: number;
}

async function cannon(target: string, url: string, seconds: number, connections: number, headers: Record<string, string> = {}): Promise<ReadRow> {
  const r = await autocannon({ url, duration: seconds, connections, headers });
  return {
    target,
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    bytesPerRequest: r.requests.total ? r.throughput.total / r.requests.total : Number.NaN,
  };
}

/** Starts the hello-world Fastify process; resolves with its port and a stop function. */
async function startHello(): Promise<{ port: number; stop: () => void }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../lib/hello-server.js');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`hello-world server exited with ${code}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

/**
 * Scenario 6: requests/s and latency of GET /v1/instances and GET /v1/instances/{name} with
 * the population in place, from autocannon on loopback, next to a bare Fastify hello-world.
 */
export async function runApiReads(berth: BerthSide, population: number, sampleName: string, seconds: number, connections: number, notes: string[] = []): Promise<Section> {
  const client = berth.client();
  const auth = { authorization: `Bearer ${client.token}` };
  const hello = await startHello();
  const rows: ReadRow[] = [];
  try {
    rows.push(await cannon('Fastify hello-world (same machine)', `http://127.0.0.1:${hello.port}/hello`, seconds, connections));
    rows.push(await cannon(`berth GET /v1/instances?limit=1000 (${population} items)`, `${client.url}/v1/instances?limit=1000`, seconds, connections, auth));
    rows.push(await cannon(`berth GET /v1/instances?limit=1000&view=summary (${population} items)`, `${client.url}/v1/instances?limit=1000&view=summary`, seconds, connections, auth));
    rows.push(await cannon('berth GET /v1/instances/{name}', `${client.url}/v1/instances/${encodeURIComponent(sampleName)}`, seconds, connections, auth));
    // One client at a time (a dashboard, a script): latency without queueing behind other requests.
    rows.push(await cannon(`berth GET /v1/instances?limit=1000 (${population} items), 1 connection`, `${client.url}/v1/instances?limit=1000`, seconds, 1, auth));
    rows.push(await cannon(`berth GET /v1/instances?limit=1000&view=summary (${population} items), 1 connection`, `${client.url}/v1/instances?limit=1000&view=summary`, seconds, 1, auth));
  } finally {
    hello.stop();
  }
  const base = rows[0];
  return {
    id: 'api-reads',
    title: `6. API reads with ${population} instances (autocannon, ${connections} connections, ${seconds} s each)`,
    notes: [...notes, 'target: GET /v1/instances p99 under 20 ms at 500 instances', `rows without a connection count use ${connections} connections`, 'the load generator shares the machine\'s cores with the server, for every row alike'],
    table: markdownTable(
      ['target', 'req/s', '÷ hello req/s', 'p50', 'p99', 'max', 'bytes/req', 'non-2xx', 'errors'],
      rows.map((r) => [r.target, num(r.requestsPerSecond), times(ratio(r.requestsPerSecond, base?.requestsPerSecond)), ms(r.p50Ms), ms(r.p99Ms), ms(r.maxMs), num(r.bytesPerRequest), r.non2xx, r.errors]),
    ),
    data: rows,
  };
}
