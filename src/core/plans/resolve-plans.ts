import { BerthError } from '../../common/errors.js';
import { parseMemorySize } from '../../config/parse-size.js';
import type { BerthConfig, HealthDefaults, RestartPolicy } from '../../config/schema.js';
import { scanDirProblem } from '../supervision/scan-dir-path.js';

/** A plan as the rest of berth uses it: sizes in bytes, health and restart merged with the top level. */
export interface Plan {
  name: string;
  cpus: number;
  /** The configured size, as written (for display). */
  memory: string;
  memoryBytes: number;
  pidsLimit: number;
  readOnlyRootfs: boolean;
  dedicatedNetwork: boolean;
  internalNetwork: boolean;
  /** Size of the /tmp tmpfs. */
  tmpSizeBytes: number;
  /** Disk per instance (writable layer limit where supported; workspace alert); undefined: none. */
  diskBytes?: number;
  egress: 'all' | 'public' | 'none';
  egressAllow: string[];
  health: HealthDefaults;
  restart: RestartPolicy;
  /** Swarm reservations (what a node sets aside); undefined: none. */
  reservations?: { cpus?: number; memoryBytes?: number };
  /** Workspace snapshot policy (beforeUpgrade, keep, schedule); undefined: no automatic snapshots. */
  snapshots?: { beforeUpgrade: boolean; keep: number; schedule?: string };
  /** Swarm placement constraints; none on one host. */
  constraints?: string[];
  /** s6 scan directory tried first on this plan's instances (before supervision.scanDirs). */
  scanDir?: string;
}

export type PlanCatalog = ReadonlyMap<string, Plan>;

/** Builds the plan catalogue from config (the loader already checked every memory size). */
export function resolvePlans(config: Pick<BerthConfig, 'plans' | 'health' | 'restart'>): PlanCatalog {
  const out = new Map<string, Plan>();
  for (const [name, p] of Object.entries(config.plans).sort(([a], [b]) => a.localeCompare(b))) {
    const memoryBytes = parseMemorySize(p.memory);
    if (memoryBytes === undefined) throw new BerthError('INVALID_CONFIG', `plans.${name}.memory = ${JSON.stringify(p.memory)} is not a size`);
    let reservations: Plan['reservations'];
    if (p.reservations) {
      const bytes = p.reservations.memory === undefined ? undefined : parseMemorySize(p.reservations.memory);
      if (p.reservations.memory !== undefined && bytes === undefined) throw new BerthError('INVALID_CONFIG', `plans.${name}.reservations.memory = ${JSON.stringify(p.reservations.memory)} is not a size`);
      reservations = { ...(p.reservations.cpus !== undefined ? { cpus: p.reservations.cpus } : {}), ...(bytes !== undefined ? { memoryBytes: bytes } : {}) };
    }
    const scanDirIssue = p.scanDir === undefined ? undefined : scanDirProblem(p.scanDir);
    if (scanDirIssue) throw new BerthError('INVALID_CONFIG', `plans.${name}.scanDir ${scanDirIssue}`);
    out.set(name, {
      name,
      cpus: p.cpus,
      memory: typeof p.memory === 'number' ? `${p.memory}MiB` : p.memory,
      memoryBytes,
      pidsLimit: p.pidsLimit,
      readOnlyRootfs: p.readOnlyRootfs,
      dedicatedNetwork: p.dedicatedNetwork,
      internalNetwork: p.dedicatedNetwork && p.internalNetwork,
      tmpSizeBytes: parseMemorySize(p.tmpSize ?? '64MiB') ?? 64 * 1024 ** 2,
      ...(p.disk === undefined ? {} : { diskBytes: parseMemorySize(p.disk) ?? 0 }),
      egress: p.egress ?? 'public',
      egressAllow: p.egressAllow ?? [],
      health: { ...config.health, ...definedOnly(p.health ?? {}) },
      restart: { ...config.restart, ...definedOnly(p.restart ?? {}) },
      constraints: p.placement?.constraints ?? [],
      ...(reservations ? { reservations } : {}),
      ...(p.snapshots ? { snapshots: p.snapshots } : {}),
      ...(p.scanDir === undefined ? {} : { scanDir: p.scanDir }),
    });
  }
  return out;
}

/** The named plan, or PLAN_NOT_FOUND naming the field and the plans that exist. */
export function requirePlan(plans: PlanCatalog, name: string): Plan {
  const plan = plans.get(name);
  if (!plan) throw new BerthError('PLAN_NOT_FOUND', `plan: no plan named ${JSON.stringify(name)}; plans are ${[...plans.keys()].join(', ')}`, { field: 'plan' });
  return plan;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
