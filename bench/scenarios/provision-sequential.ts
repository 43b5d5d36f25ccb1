import { ratioTable, type SideRow } from '../lib/ratio-table.js';
import type { Section } from '../lib/report.js';
import { presentSides, type SideName, type Sides } from '../lib/sides.js';
import { summarize } from '../lib/stats.js';
import type { Tenant } from '../lib/tenant-spec.js';
import { timed } from '../lib/timed.js';
import { waitHealthy } from '../lib/wait-healthy.js';

export interface SequentialResult {
  provision: SideRow[];
  restart: SideRow[];
  delete: SideRow[];
  sections: Section[];
}

/**
 * Scenarios 1 and 3: N tenants one after another (API call → healthy), then N deletes. The
 * sides take turns tenant by tenant, so background load on a shared machine falls on all
 * of them alike.
 */
export async function runSequential(sides: Sides, n: number, name: (side: SideName, i: number) => string, log: (line: string) => void): Promise<SequentialResult> {
  const present = presentSides(sides);
  const created = new Map<SideName, Tenant[]>(present.map(([s]) => [s, []]));
  const provisionMs = new Map<SideName, number[]>(present.map(([s]) => [s, []]));
  const deleteMs = new Map<SideName, number[]>(present.map(([s]) => [s, []]));
  const restartMs = new Map<SideName, number[]>(present.filter(([, p]) => p.restart).map(([s]) => [s, []]));
  const errors = new Map<string, number>();
  const fail = (key: string, error: Error) => {
    errors.set(key, (errors.get(key) ?? 0) + 1);
    log(`  ${key}: ${error.message}`);
  };

  for (let i = 0; i < n; i++) {
    for (const [side, p] of present) {
      const r = await timed(() => p.provision(name(side, i)));
      if (r.error) fail(`${side}/provision`, r.error);
      else {
        provisionMs.get(side)?.push(r.ms);
        created.get(side)?.push(r.value as Tenant);
      }
    }
    log(`  sequential: ${i + 1}/${n} provisioned on every side`);
  }
  // Restart: the call, then until /health is answered by a process started after the call.
  for (let i = 0; i < n; i++) {
    for (const [side, p] of present) {
      const tenant = created.get(side)?.[i];
      if (!tenant || !p.restart) continue;
      const asked = Date.now();
      const r = await timed(async () => {
        await p.restart!(tenant);
        await waitHealthy(tenant.hostPort, 60_000, asked, tenant.address);
      });
      if (r.error) fail(`${side}/restart`, r.error);
      else restartMs.get(side)?.push(r.ms);
    }
  }
  if (restartMs.size) log(`  sequential: ${n} restarted on ${[...restartMs.keys()].join(', ')}`);
  for (let i = 0; i < n; i++) {
    for (const [side, p] of present) {
      const tenant = created.get(side)?.[i];
      if (!tenant) continue;
      const r = await timed(() => p.remove(tenant));
      if (r.error) fail(`${side}/delete`, r.error);
      else deleteMs.get(side)?.push(r.ms);
    }
  }
  log(`  sequential: ${n} deleted on every side`);

  const rows = (m: Map<SideName, number[]>, op: string): SideRow[] =>
    present.filter(([side]) => m.has(side)).map(([side]) => ({ side, n, errors: errors.get(`${side}/${op}`) ?? 0, summary: summarize(m.get(side) ?? []) }));
  const provision = rows(provisionMs, 'provision');
  const restart = rows(restartMs, 'restart');
  const del = rows(deleteMs, 'delete');
  return {
    provision,
    restart,
    delete: del,
    sections: [
      {
        id: 'provision-sequential',
        title: `1. Provision, sequential (N = ${n}): API call → /health answers`,
        notes: ['sides take turns tenant by tenant; times per tenant', 'target: berth ≤ 1.10× raw and ≤ 0.5× compose'],
        table: ratioTable(provision),
        data: provision,
      },
      {
        id: 'restart',
        title: `1b. Restart (N = ${n}): call → /health answered by a new process`,
        notes: [
          'berth: POST /v1/instances/{name}/actions {"action":"restart"}; raw: the engine\'s restart (10 s stop timeout); cli: `docker restart`',
          'every side stops the agent with SIGTERM and waits for it; the agent exits at once',
        ],
        table: ratioTable(restart),
        data: restart,
      },
      {
        id: 'delete',
        title: `3. Delete (N = ${n}): call → container and workspace gone`,
        notes: ['raw: stop (SIGTERM) + remove + volume remove; cli: `docker rm -f` + `docker volume rm`; compose: `down -v`'],
        table: ratioTable(del),
        data: del,
      },
    ],
  };
}
