import http from 'node:http';
import type { BerthSide } from '../berth/berth-side.js';
import { cpuSeconds, rssBytes } from '../lib/proc-usage.js';
import { median } from '../lib/stats.js';

export interface ProbeLoad {
  windowSeconds: number;
  /** CPU seconds per wall second, as a percentage of one core. */
  cpuPercentOfOneCore: number;
  rssMedianBytes: number;
  rssMaxBytes: number;
}

/** Scenario 5a: berth's CPU per second of wall time and RSS while it probes the population. */
export async function measureProbeLoad(berth: BerthSide, windowSeconds: number): Promise<ProbeLoad> {
  const pid = berth.daemon.pid;
  const rss: number[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const until = t0 + windowSeconds * 1000;
  while (performance.now() < until) {
    rss.push(rssBytes(pid));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  return { windowSeconds: wallSeconds, cpuPercentOfOneCore: (cpu / wallSeconds) * 100, rssMedianBytes: median(rss), rssMaxBytes: Math.max(...rss) };
}

export interface Notice {
  /** Fail → berth records a failed check. */
  firstFailedCheckMs: number;
  /** Fail → status unhealthy (or already restarting). */
  unhealthyMs: number;
}

function post(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/** Scenario 5b: one tenant starts failing its health check; how long until berth notices. */
export async function measureNotice(berth: BerthSide, tenant: { name: string; hostPort: number }, timeoutMs: number): Promise<Notice> {
  await post(tenant.hostPort, '/fail');
  const t0 = performance.now();
  let firstFailedCheckMs = Number.NaN;
  try {
    while (performance.now() - t0 < timeoutMs) {
      const view = await berth.client().getInstance(tenant.name);
      const elapsed = performance.now() - t0;
      if (Number.isNaN(firstFailedCheckMs) && (view.lastCheckOk === false || view.consecutiveFailures > 0)) firstFailedCheckMs = elapsed;
      if (['unhealthy', 'restarting'].includes(view.status)) {
        return { firstFailedCheckMs: Number.isNaN(firstFailedCheckMs) ? elapsed : firstFailedCheckMs, unhealthyMs: elapsed };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await post(tenant.hostPort, '/recover').catch(() => undefined);
  }
  throw new Error(`${tenant.name} failed its health check but berth did not mark it unhealthy within ${timeoutMs} ms`);
}
