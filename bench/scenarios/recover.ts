import type Docker from 'dockerode';
import { mapLimit } from '../lib/map-limit.js';
import type { Section } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';
import { markdownTable, ms } from '../lib/table.js';
import type { Provisioner, Tenant } from '../lib/tenant-spec.js';
import { waitHealthy } from '../lib/wait-healthy.js';
import { timed } from '../lib/timed.js';

export interface RecoverSide {
  label: string;
  provisioner: Provisioner;
  /** The host PID of a tenant's main process, when its container is not on the bench's engine (a Swarm node). */
  pidOf?: (tenant: Tenant) => Promise<number>;
}

interface RecoverRow {
  label: string;
  population: number;
  killed: number;
  recovered: number;
  summary: Summary;
  /** The side's own time from provision call to healthy, for "kill + start time". */
  startMedianMs: number;
}

/**
 * Scenario 4: SIGKILL the main process of 10% of the tenants (from the host, as the OOM killer
 * or a crash would; `docker kill` through the API marks a container as stopped by hand and
 * Docker's restart policy then ignores it) and time kill → /health answered by a new process.
 */
export async function runRecover(
  docker: Docker, sides: RecoverSide[], population: number, name: (side: string, i: number) => string, log: (line: string) => void,
  beforeSide: () => Promise<void> = async () => undefined,
): Promise<Section> {
  const killCount = Math.max(1, Math.round(population / 10));
  const rows: RecoverRow[] = [];
  for (const side of sides) {
    await beforeSide();
    const startTimes: number[] = [];
    const tenants: Tenant[] = [];
    for (let i = 0; i < population; i++) {
      const r = await timed(() => side.provisioner.provision(name(side.label, i)));
      if (r.error) throw new Error(`${side.label}: provisioning the population failed: ${r.error.message}`);
      startTimes.push(r.ms);
      tenants.push(r.value as Tenant);
    }
    // Let the monitor see every tenant healthy before breaking some.
    await new Promise((r) => setTimeout(r, 2000));
    const victims = tenants.filter((_, i) => i % Math.floor(population / killCount) === 0).slice(0, killCount);
    const durations: number[] = [];
    await Promise.all(victims.map(async (t) => {
      const pid = side.pidOf ? await side.pidOf(t) : (await docker.getContainer(t.containerId ?? t.name).inspect()).State.Pid;
      const killedAt = Date.now();
      const start = performance.now();
      process.kill(pid, 'SIGKILL');
      try {
        await waitHealthy(t.hostPort, 120_000, killedAt, t.address);
        durations.push(performance.now() - start);
      } catch (error) {
        log(`  recover ${side.label}/${t.name}: ${(error as Error).message}`);
      }
    }));
    rows.push({ label: side.label, population, killed: victims.length, recovered: durations.length, summary: summarize(durations), startMedianMs: summarize(startTimes).median });
    log(`  recover: ${side.label} ${durations.length}/${victims.length} back`);
    await mapLimit(tenants, 10, (t) => side.provisioner.remove(t).catch((error: Error) => log(`  recover cleanup: ${error.message}`)));
  }
  const table = markdownTable(
    ['side', 'tenants', 'killed', 'recovered', 'median kill → healthy', 'p99', 'own start time (median)', 'median − start time'],
    rows.map((r) => [r.label, r.population, r.killed, r.recovered, ms(r.summary.median), ms(r.summary.p99), ms(r.startMedianMs), ms(r.summary.median - r.startMedianMs)]),
  );
  return {
    id: 'recover',
    title: `4. Recover: ${killCount} of ${population} tenants killed at once`,
    notes: [
      'kill = SIGKILL of the container\'s main process from the host; recovered = /health answered by a process started after the kill',
      'target: berth within 1 s of the kill plus the container\'s own start time (last column ≤ 1 s)',
    ],
    table,
    data: rows,
  };
}
