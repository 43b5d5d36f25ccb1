import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../baselines/bench-context.js';
import type { CleanupRegistry } from '../lib/cleanup-registry.js';
import { freePort } from '../lib/port-pool.js';
import { rssBytes } from '../lib/proc-usage.js';
import { BerthClient } from './berth-client.js';
import { BerthDaemon } from './berth-daemon.js';
import { BerthProvisioner } from './berth-provisioner.js';

/** Built by images/build-light-agent.sh. */
export const LIGHT_IMAGE = 'berth/light-agent:local';

/** The starter plan's limits with restart.baseDelaySeconds 0: isolates berth's reaction time from its backoff policy. */
const IMMEDIATE_PLAN = 'bench-immediate';

export interface BerthSide {
  daemon: BerthDaemon;
  /** The client for the daemon's current process (the token is re-read after a restart). */
  client: () => BerthClient;
  provisioner: BerthProvisioner;
  /** The same, on a plan whose first restart is immediate (restart.baseDelaySeconds 0). */
  immediateRestart: BerthProvisioner;
  /** Provisions the light agent (berth/light-agent:local): the population with --light. */
  light: BerthProvisioner;
  bootMs: number;
  /** RSS a few seconds after boot with no instance. */
  idleRssBytes: number;
  /**
   * Waits (up to a minute) until berth's /health shows its runtime up: one scenario's load can
   * leave berth briefly degraded, and the next scenario should not be measured inside that blip.
   */
  runtimeUp(): Promise<void>;
}

/**
 * Starts a real berth daemon for this run (own data dir, scope = run id, SQLite) and checks
 * that its instance API is there; undefined (with the reason logged) when it is not.
 */
export async function startBerthSide(o: { ctx: BenchContext; root: string; cleanup: CleanupRegistry; probeIntervalSeconds: number }): Promise<BerthSide | undefined> {
  const { ctx } = o;
  const daemon = new BerthDaemon({
    root: o.root,
    dir: path.join(ctx.workDir, 'berth'),
    scope: ctx.runId,
    port: await freePort(),
    // Host ports below the kernel's ephemeral range (32768+), where an outgoing connection may hold one.
    portRange: '27000-29999',
    network: {
      sharedName: `${ctx.runId}-shared`,
      // A /20: room for the full run's 500 tenants and more (a /24 ran out at 250).
      sharedSubnet: `10.214.${16 * Math.floor(Math.random() * 16)}.0/20`,
      subnetPool: '10.215.0.0/16',
    },
    plans: { [IMMEDIATE_PLAN]: { cpus: 0.5, memory: '512MiB', pidsLimit: 256, restart: { baseDelaySeconds: 0 } } },
  });
  o.cleanup.label(`berth.scope=${ctx.runId}`);
  o.cleanup.onCleanup('berth daemon', async () => {
    await daemon.stop();
    // Kept next to the JSON results: the daemon's own account of the run.
    if (existsSync(daemon.logFile)) copyFileSync(daemon.logFile, path.join(o.root, 'bench/results', `${ctx.runId}-berth.log`));
  });
  const bootMs = await daemon.start();
  let client = new BerthClient(daemon.url, daemon.adminToken());
  const probe = await client.request('GET', '/v1/instances');
  if (probe.status === 404) {
    ctx.log('berth side skipped: this build has no instance API yet (GET /v1/instances → 404)');
    await daemon.stop();
    return undefined;
  }
  if (probe.status !== 200) throw new Error(`berth: GET /v1/instances → ${probe.status}: ${probe.text.slice(0, 200)}`);
  await new Promise((r) => setTimeout(r, 3000));
  const idleRssBytes = rssBytes(daemon.pid);
  let pid = daemon.pid;
  const current = () => {
    if (daemon.running && daemon.pid !== pid) {
      pid = daemon.pid;
      client = new BerthClient(daemon.url, daemon.adminToken());
    }
    return client;
  };
  return {
    daemon,
    client: current,
    provisioner: new BerthProvisioner(current, ctx.docker, o.probeIntervalSeconds),
    immediateRestart: new BerthProvisioner(current, ctx.docker, o.probeIntervalSeconds, IMMEDIATE_PLAN),
    light: new BerthProvisioner(current, ctx.docker, o.probeIntervalSeconds, 'starter', undefined, LIGHT_IMAGE),
    bootMs,
    idleRssBytes,
    runtimeUp: () => waitRuntimeUp(daemon.url, ctx.log),
  };
}

async function waitRuntimeUp(url: string, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  let last = '';
  while (performance.now() - started < 60_000) {
    try {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { components?: Record<string, { status: string; detail?: string }> };
      const runtime = body.components?.runtime;
      if (runtime?.status === 'up') {
        if (last) log(`  berth reported its runtime down (${last}); it was back after ${Math.round(performance.now() - started)} ms`);
        return;
      }
      last = runtime?.detail ?? 'unknown';
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`berth's runtime stayed down for 60 s: ${last}`);
}
