import os from 'node:os';
import type { BenchContext } from '../baselines/bench-context.js';
import type { BerthSide } from '../berth/berth-side.js';
import { mapLimit } from '../lib/map-limit.js';
import type { BenchPlan } from '../lib/plan.js';
import { memAvailableBytes, rssBytes } from '../lib/proc-usage.js';
import type { Report } from '../lib/report.js';
import { markdownTable, mib, ms, pct } from '../lib/table.js';
import type { Tenant } from '../lib/tenant-spec.js';
import { measureNotice, measureProbeLoad } from './probe-load.js';
import { runApiReads } from './api-reads.js';

type PopulationScenario = 'probe' | 'reads' | 'boot' | 'memory';

/** Memory the bench leaves to everything else on the machine while it fills it with tenants. */
function reserveBytes(): number {
  return Math.max(4 * 1024 ** 3, os.totalmem() * 0.25);
}

/**
 * Provisions the population through berth (8 calls in flight), measuring the real memory cost
 * of a tenant on the first batch and stopping at what the machine can hold with the reserve
 * left free. Returns the tenants and why the count is what it is.
 */
async function populate(berth: BerthSide, target: number, ctx: BenchContext, light: boolean): Promise<{ tenants: Tenant[]; why: string }> {
  const tenants: Tenant[] = [];
  const reserve = reserveBytes();
  const before = memAvailableBytes();
  let cap = target;
  let why = `target ${target}`;
  const batch = 8;
  while (tenants.length < cap) {
    const size = Math.min(batch, cap - tenants.length);
    const names = Array.from({ length: size }, (_, i) => `${ctx.runId}-p${tenants.length + i}`);
    const made = await mapLimit(names, batch, (n) => (light ? berth.light : berth.provisioner).provision(n));
    tenants.push(...made);
    if (tenants.length === made.length && tenants.length < cap) {
      const perTenant = Math.max((before - memAvailableBytes()) / tenants.length, 16 * 1024 * 1024);
      const fits = tenants.length + Math.floor((memAvailableBytes() - reserve) / perTenant);
      if (fits < cap) {
        cap = Math.max(tenants.length, fits);
        why = `capped from ${target}: a tenant costs ~${mib(perTenant)} of host memory (measured on the first ${tenants.length}); ${mib(memAvailableBytes())} available, ${mib(reserve)} kept free`;
      } else {
        why = `target ${target}; a tenant costs ~${mib(perTenant)} of host memory, so ${target} fit with ${mib(reserve)} kept free`;
      }
    }
    if (memAvailableBytes() < reserve) {
      why = `stopped at ${tenants.length}: host memory fell to the reserve (${mib(reserve)})`;
      break;
    }
    if (tenants.length % 40 === 0 || tenants.length === cap) ctx.log(`  population: ${tenants.length}/${cap}`);
  }
  return { tenants, why };
}

/** Scenarios 5–8 on one population of berth instances: probe load, reads, memory, boot. */
export async function runPopulationScenarios(o: { berth: BerthSide; ctx: BenchContext; plan: BenchPlan; only: Set<PopulationScenario>; report: Report; root: string; light?: boolean }): Promise<void> {
  const { berth, ctx, plan, report } = o;
  const popStart = performance.now();
  const { tenants, why } = await populate(berth, plan.population, ctx, o.light === true);
  const n = tenants.length;
  const populateNote = `population: ${n} ${o.light ? 'light-agent (busybox httpd) ' : ''}instances through POST /v1/instances?wait=running, 8 in flight, in ${ms(performance.now() - popStart)} (${why})`;
  ctx.log(`  ${populateNote}`);
  const list = await berth.client().listInstances();
  const listNote = `GET /v1/instances returns ${list.items.length} items of total ${list.total}`;

  // Let start-up work settle before measuring the steady state.
  await new Promise((r) => setTimeout(r, Math.min(15_000, plan.probeIntervalSeconds * 1000)));
  const load = o.only.has('probe') || o.only.has('memory') ? await measureProbeLoad(berth, plan.probeWindowSeconds) : undefined;
  if (o.only.has('probe') && load) {
    // The notice needs the node agent's POST /fail: with a light population, one node agent joins it.
    const victim = o.light ? await berth.provisioner.provision(`${ctx.runId}-pnode`) : tenants[Math.floor(n / 2)] as Tenant;
    const notice = await measureNotice(berth, victim, plan.probeIntervalSeconds * 1000 * 6 + 30_000);
    report.add({
      id: 'probe-load',
      title: `5. Probe load: ${n} running instances, probe interval ${plan.probeIntervalSeconds} s, ${Math.round(load.windowSeconds)} s window`,
      notes: [populateNote, 'CPU = (utime + stime of the daemon from /proc/<pid>/stat) ÷ wall time', 'target: under 3 % of one core at 500 tenants'],
      table: markdownTable(
        ['instances', 'berth CPU (% of one core)', 'RSS median', 'RSS max', 'fail → first failed check', 'fail → unhealthy'],
        [[n, pct(load.cpuPercentOfOneCore), mib(load.rssMedianBytes), mib(load.rssMaxBytes), ms(notice.firstFailedCheckMs), ms(notice.unhealthyMs)]],
      ),
      data: { instances: n, why, load, notice },
    });
  }
  if (o.only.has('reads')) {
    report.add(await runApiReads(berth, n, (tenants[0] as Tenant).name, plan.readsSeconds, plan.readsConnections, [listNote]));
  }
  let boot: { readyMs: number; allRunningMs: number; rssAfterBytes: number } | undefined;
  if (o.only.has('boot')) {
    await berth.daemon.stop();
    const readyMs = await berth.daemon.start();
    const t0 = performance.now();
    let allRunningMs = Number.NaN;
    while (performance.now() - t0 < 300_000) {
      const { items } = await berth.client().listInstances();
      if (items.length >= n && items.every((i) => i.status === 'running')) {
        allRunningMs = readyMs + (performance.now() - t0);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3000));
    boot = { readyMs, allRunningMs, rssAfterBytes: rssBytes(berth.daemon.pid) };
    report.add({
      id: 'boot',
      title: `7. Boot with ${n} existing instances (restart on the same data dir)`,
      notes: ['spawn of `berth serve` → GET /ready 200; then until GET /v1/instances lists every instance running', `first boot with no instance: ${ms(berth.bootMs)}`, 'target: under 2 s with 500 instances'],
      table: markdownTable(['instances', 'spawn → /ready', 'spawn → all listed running'], [[n, ms(readyMs), ms(allRunningMs)]]),
      data: { instances: n, firstBootMs: berth.bootMs, ...boot },
    });
  }
  if (o.only.has('memory')) {
    report.add({
      id: 'memory',
      title: '8. Memory: berth daemon RSS',
      notes: ['target: under 150 MB at 500 instances'],
      table: markdownTable(
        ['state', 'instances', 'RSS'],
        [
          ['idle, 3 s after first boot', 0, mib(berth.idleRssBytes)],
          [`probing (median over ${Math.round(load?.windowSeconds ?? 0)} s)`, n, mib(load?.rssMedianBytes)],
          ['probing (max)', n, mib(load?.rssMaxBytes)],
          ...(boot ? [['3 s after a restart that adopted them', n, mib(boot.rssAfterBytes)]] : []),
        ],
      ),
      data: { idleRssBytes: berth.idleRssBytes, instances: n, load, rssAfterRestartBytes: boot?.rssAfterBytes },
    });
  }
}
