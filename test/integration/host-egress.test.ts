import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { containerOf, createInstance, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let pub: TargetFixture;
let open: TargetFixture;
let walled: TargetFixture;
const servers: net.Server[] = [];

const YAML = [
  'plans:',
  '  open: { cpus: 0.5, memory: 256MiB, egress: all }',
  '  walled: { cpus: 0.5, memory: 256MiB, dedicatedNetwork: true }',
  '',
].join('\n');

beforeAll(async () => {
  td = await startTestDaemon({ yaml: YAML });
  const s = td.scope.slice(2);
  pub = await createInstance(td, `eg-pub-${s}`);
  const made = await td.api<{ id: string; status: string }>('POST', '/v1/instances?wait=running&timeout=60', { tenant: `eg-open-${s}`, name: `eg-open-${s}`, plan: 'open' });
  if (made.body.status !== 'running') throw new Error(`open instance: ${JSON.stringify(made.body)}`);
  open = { id: made.body.id, name: `eg-open-${s}`, tenant: `eg-open-${s}` };
  const w = await td.api<{ id: string; status: string }>('POST', '/v1/instances?wait=running&timeout=60', { tenant: `eg-wall-${s}`, name: `eg-wall-${s}`, plan: 'walled' });
  if (w.body.status !== 'running') throw new Error(`walled instance: ${JSON.stringify(w.body)}`);
  walled = { id: w.body.id, name: `eg-wall-${s}`, tenant: `eg-wall-${s}` };
});
afterAll(async () => {
  for (const s of servers) s.close();
  await td?.cleanup();
});

/** Networks of a container: name → { ip, gateway }. */
async function networksOf(instanceId: string): Promise<Record<string, { IPAddress: string; Gateway: string }>> {
  const { id } = await containerOf(td, instanceId);
  const c = await rawDocker().getContainer(id).inspect() as unknown as { NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> } };
  return c.NetworkSettings.Networks;
}

/** A TCP listener the test runs on one of this host's own addresses. */
function listen(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined); // the probing client leaves at once
      socket.end('hello\n');
    });
    servers.push(server);
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Tries a TCP connection from inside the instance's container (with the image's node). */
async function connectFrom(instanceId: string, host: string, port: number): Promise<string> {
  const { id } = await containerOf(td, instanceId);
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)});s.on('connect',()=>{console.log('OPEN');process.exit(0)});s.on('error',(e)=>{console.log('ERR '+e.code);process.exit(1)});setTimeout(()=>{console.log('TIMEOUT');process.exit(2)},4000)`;
  const res = await td.daemon.runtime.exec(id, ['node', '-e', script], { timeoutMs: 20_000, outputLimitBytes: 1024 });
  return res.output.trim();
}

describe(`egress policy per plan (${testEnv.store})`, () => {
  it('public cannot reach a listener on its bridge gateway; all can', async () => {
    const pubNet = Object.values(await networksOf(pub.id))[0]!;
    const openNet = Object.values(await networksOf(open.id))[0]!;
    expect(pubNet.Gateway).not.toBe(openNet.Gateway);
    const pubPort = await listen(pubNet.Gateway);
    const openPort = await listen(openNet.Gateway);
    expect(await connectFrom(open.id, openNet.Gateway, openPort)).toBe('OPEN');
    expect(await connectFrom(pub.id, pubNet.Gateway, pubPort)).toMatch(/^(ERR|TIMEOUT)/);
    // The host's other addresses are just as closed (the engine or berth might listen there).
    expect(await connectFrom(pub.id, openNet.Gateway, openPort)).toMatch(/^(ERR|TIMEOUT)/);
  });

  it('public cannot reach a container on another berth network; the host still probes it (published port)', async () => {
    const target = Object.values(await networksOf(walled.id))[0]!;
    expect(await connectFrom(pub.id, target.IPAddress, 8080)).toMatch(/^(ERR|TIMEOUT)/);
    // Replies to the host's health probes pass (ESTABLISHED first): the instance stays running.
    const inst = await td.api<{ status: string; url: string }>('GET', `/v1/instances/${pub.name}`);
    expect(inst.body.status).toBe('running');
    expect((await fetch(`${inst.body.url}/health`)).status).toBe(200);
  });

  it('rules are tagged with the scope, and go with the scope', async () => {
    const rules = (chain: string): string[] => execFileSync('iptables', ['-w', '5', '-S', chain], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`berth:${td.scope}:`));
    expect(rules('DOCKER-USER').length).toBeGreaterThan(0);
    expect(rules('INPUT').length).toBeGreaterThan(0);
    expect(rules('DOCKER-USER')[0]).toMatch(/ESTABLISHED/);
    const health = await td.api<{ components: Record<string, { status: string; detail: string }> }>('GET', '/health', undefined, null);
    expect(health.body.components.egress?.status).toBe('up');
  });
});
