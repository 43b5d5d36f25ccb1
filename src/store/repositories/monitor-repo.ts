import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import { legalSources, STATUS, type InstanceStatus } from '../../common/instance-status.js';
import type { Database, InstancesTable } from '../database.js';
import type { InstancesRepoOptions } from './instances-repo.js';
import { fenceHolds, type LeaseFence } from './leases-repo.js';

export interface MonitorRepoOptions extends InstancesRepoOptions {
  /** The leader term this monitor writes under: every state write fails once the lease moved on. */
  fence?: LeaseFence;
  /** Recorded in restarted_by on each policy restart (cluster.processId). */
  processId?: string;
}

export interface MonitoredInstance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  health: string;
  hostPort: number | null;
  containerId: string | null;
  status: InstanceStatus;
  desiredState: string;
  startedAt: number | null;
  /** Times (ms) of the restarts in the current streak. */
  restartHistory: number[];
  restarts: number;
  backoffMs: number;
  /** When a decided restart is due; null when none is pending. */
  nextRestartAt: number | null;
  checksPassed: number;
  /** s6 scan directory asked for at create (supervision tries it first). */
  scanDir?: string | null;
}

/** One probe's outcome, written with the next flush. */
export interface ProbeWrite {
  id: string;
  containerId: string;
  at: number;
  ok: boolean;
  latencyMs: number;
  consecutiveFailures: number;
  error: string | null;
  /** A status change decided by this probe, applied only if the row still has one of `from`. */
  transition?: { to: InstanceStatus; from: readonly InstanceStatus[] };
  /** The instance ran long enough: forget the restart streak and its backoff. */
  resetBackoff?: boolean;
}

/** A conditional change of a desired-running instance's monitoring columns. */
export interface MonitorPatch {
  status?: InstanceStatus;
  backoffMs?: number;
  nextRestartAt?: number | null;
  lastExitCode?: number | null;
  oomKilled?: boolean;
  lastError?: string | null;
  restartHistory?: number[];
  incrementRestarts?: boolean;
  startedAt?: number;
  consecutiveFailures?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (value: string | null): number | null => (value ? Date.parse(value) : null);

function parseHistory(value: string): number[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return [];
    return parsed.map((t) => (typeof t === 'number' ? t : Date.parse(String(t)))).filter((t) => Number.isFinite(t));
  } catch {
    return [];
  }
}

const COLUMNS = [
  'id', 'name', 'tenant', 'plan', 'health', 'host_port', 'container_id', 'status', 'desired_state', 'started_at',
  'restart_history', 'restarts', 'backoff_ms', 'next_restart_at', 'checks_passed', 'scan_dir',
] as const;

type Row = Pick<Selectable<InstancesTable>, typeof COLUMNS[number]>;

function toInstance(row: Row): MonitoredInstance {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    plan: row.plan,
    health: row.health,
    hostPort: row.host_port,
    containerId: row.container_id,
    status: row.status,
    desiredState: row.desired_state,
    startedAt: ms(row.started_at),
    restartHistory: parseHistory(row.restart_history),
    restarts: Number(row.restarts),
    backoffMs: Number(row.backoff_ms),
    nextRestartAt: ms(row.next_restart_at),
    checksPassed: Number(row.checks_passed),
    scanDir: row.scan_dir ?? null,
  };
}

/**
 * The monitor's view of the instances table: it reads desired-running instances and writes
 * only health and restart columns, each status change conditional on desired state, container
 * and current status, so it never overrides what the instances service decided meanwhile.
 */
export class MonitorRepo {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => number, private readonly options: MonitorRepoOptions = {}) {}

  /** The status machine's check of a conditional status write (see InstancesRepo.transition). */
  private sources(id: string, from: readonly InstanceStatus[], to: InstanceStatus | undefined): readonly InstanceStatus[] {
    if (to === undefined) return from;
    return legalSources(id, from, to, this.options.illegalTransitions ?? 'throw',
      (error) => this.options.logger?.error({ instance: id, err: error }, error.message));
  }

  private lost(id: string, from: readonly InstanceStatus[], to: InstanceStatus | undefined): void {
    if (to !== undefined) this.options.logger?.debug({ instance: id, from, to }, 'status write lost: the instance had moved on');
  }

  async listMonitored(): Promise<MonitoredInstance[]> {
    const rows = await this.db.selectFrom('instances').select(COLUMNS)
      .where('desired_state', '=', 'running').where('status', 'in', [...STATUS.monitored]).execute();
    return rows.map(toInstance);
  }

  async get(id: string): Promise<MonitoredInstance | undefined> {
    const row = await this.db.selectFrom('instances').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? toInstance(row) : undefined;
  }

  /**
   * All probe results since the last flush in one transaction: the observations as one
   * UPDATE … FROM (VALUES …) per 500 instances, then each status transition on its own
   * (they are rare and conditional). Returns, per write, whether its transition applied.
   */
  async writeProbes(writes: readonly ProbeWrite[]): Promise<boolean[]> {
    if (!writes.length) return [];
    return this.db.transaction().execute(async (trx) => {
      const merged = mergeByInstance(writes);
      for (let i = 0; i < merged.length; i += 500) await writeObservations(trx, merged.slice(i, i + 500), this.options.fence);
      const applied: boolean[] = [];
      for (const w of writes) applied.push(w.transition ? await this.transition(trx, w) : false);
      return applied;
    });
  }

  /**
   * Applies `patch` if the instance is still desired running, still on `containerId`, and in
   * one of `from`. Returns whether it applied. Bumps the row version: this is a state change.
   */
  async patch(id: string, containerId: string, from: readonly InstanceStatus[], patch: MonitorPatch): Promise<boolean> {
    const sources = this.sources(id, from, patch.status);
    if (!sources.length) return false;
    const set: Updateable<InstancesTable> = { updated_at: iso(this.now()) };
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.backoffMs !== undefined) set.backoff_ms = Math.round(patch.backoffMs);
    if (patch.nextRestartAt !== undefined) set.next_restart_at = patch.nextRestartAt === null ? null : iso(patch.nextRestartAt);
    if (patch.lastExitCode !== undefined) set.last_exit_code = patch.lastExitCode;
    if (patch.oomKilled !== undefined) set.oom_killed = patch.oomKilled ? 1 : 0;
    if (patch.lastError !== undefined) set.last_error = patch.lastError;
    if (patch.restartHistory !== undefined) set.restart_history = JSON.stringify(patch.restartHistory.map(iso));
    if (patch.startedAt !== undefined) set.started_at = iso(patch.startedAt);
    if (patch.consecutiveFailures !== undefined) set.consecutive_failures = patch.consecutiveFailures;
    if (patch.incrementRestarts && this.options.processId) set.restarted_by = this.options.processId;
    const fence = this.options.fence;
    const result = await this.db.updateTable('instances')
      .set(set)
      .set((eb) => ({ version: eb('version', '+', 1), ...(patch.incrementRestarts ? { restarts: eb('restarts', '+', 1) } : {}) }))
      .where('id', '=', id).where('container_id', '=', containerId)
      .where('desired_state', '=', 'running').where('status', 'in', [...sources])
      .$if(fence !== undefined, (qb) => qb.where(fenceHolds(fence!)))
      .executeTakeFirst();
    const applied = Number(result.numUpdatedRows) > 0;
    if (!applied) this.lost(id, sources, patch.status);
    return applied;
  }

  async countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>> {
    const rows = await this.db.selectFrom('instances').select((eb) => ['status', eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute();
    return rows.map((r) => ({ status: r.status, count: Number(r.n) }));
  }

  private async transition(trx: Transaction<Database>, w: ProbeWrite): Promise<boolean> {
    if (!w.transition) return false;
    const sources = this.sources(w.id, w.transition.from, w.transition.to);
    if (!sources.length) return false;
    const result = await trx.updateTable('instances')
      // Healthy again: the last failure's exit code and a restart that will not happen no longer apply.
      .set({ status: w.transition.to, updated_at: iso(w.at), ...(w.transition.to === 'running' ? { last_error: null, last_exit_code: null, oom_killed: 0, backoff_ms: 0, next_restart_at: null } : {}) })
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', w.id).where('container_id', '=', w.containerId)
      .where('desired_state', '=', 'running').where('status', 'in', [...sources])
      .$if(this.options.fence !== undefined, (qb) => qb.where(fenceHolds(this.options.fence!)))
      .executeTakeFirst();
    const applied = Number(result.numUpdatedRows) > 0;
    if (!applied) this.lost(w.id, sources, w.transition.to);
    return applied;
  }
}

/** One observation per instance and container: the latest, with every pass counted. */
interface Observation extends ProbeWrite {
  passes: number;
}

function mergeByInstance(writes: readonly ProbeWrite[]): Observation[] {
  const byKey = new Map<string, Observation>();
  for (const w of writes) {
    const key = `${w.id}\u0000${w.containerId}`;
    const previous = byKey.get(key);
    byKey.set(key, { ...w, passes: (previous?.passes ?? 0) + (w.ok ? 1 : 0), resetBackoff: w.resetBackoff === true || previous?.resetBackoff === true });
  }
  return [...byKey.values()];
}

/**
 * Observations, not state changes: the row version is left alone so the instances service's
 * optimistic updates do not conflict with every probe. Only rows the monitor still watches take
 * them: a probe answered after the instance failed, stopped or began an upgrade must not
 * overwrite the reason it got there. VALUES columns are column1…columnN
 * on both SQLite and Postgres; the casts give Postgres their types.
 */
async function writeObservations(trx: Transaction<Database>, rows: readonly Observation[], fence: LeaseFence | undefined): Promise<void> {
  const values = sql.join(rows.map((w) => sql`(cast(${w.id} as text), cast(${w.containerId} as text), cast(${iso(w.at)} as text),
    cast(${w.ok ? 1 : 0} as integer), cast(${Math.round(w.latencyMs)} as integer), cast(${w.consecutiveFailures} as integer),
    cast(${w.error} as text), cast(${w.passes} as integer), cast(${w.resetBackoff ? 1 : 0} as integer))`));
  await sql`update instances set
      last_check_at = v.column3,
      last_check_ok = v.column4,
      last_check_latency_ms = v.column5,
      consecutive_failures = v.column6,
      last_error = case when v.column4 = 1 then instances.last_error else v.column7 end,
      checks_passed = instances.checks_passed + v.column8,
      backoff_ms = case when v.column9 = 1 then 0 else instances.backoff_ms end,
      restart_history = case when v.column9 = 1 then '[]' else instances.restart_history end,
      next_restart_at = case when v.column9 = 1 then null else instances.next_restart_at end
    from (values ${values}) as v
    where instances.id = v.column1 and instances.container_id = v.column2
      and instances.desired_state = 'running' and instances.status in (${sql.join(STATUS.monitored)})
      and ${fence ? fenceHolds(fence) : sql`1 = 1`}`.execute(trx);
}
