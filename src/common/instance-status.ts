/**
 * The instance status machine: the statuses, the named subsets every module uses, and the
 * one table of legal transitions with the event that names each. Every status write in the
 * store is a conditional write (from → to) checked against this table. It lives in common,
 * below the store, because the store types its column with it and enforces the table.
 */

export const INSTANCE_STATUSES = [
  'creating', 'starting', 'running', 'unhealthy', 'restarting', 'stopping', 'stopped', 'crashloop', 'failed', 'deleting',
  'upgrading',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** What the operator asked for; the status is what berth observed. */
export const DESIRED_STATES = ['running', 'stopped'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

const set = (...statuses: InstanceStatus[]): readonly InstanceStatus[] => Object.freeze(statuses);
const except = (...out: InstanceStatus[]): readonly InstanceStatus[] => set(...INSTANCE_STATUSES.filter((s) => !out.includes(s)));

/** Named subsets: the only lists of statuses outside this file are built from these. */
export const STATUS = {
  /** The container is meant to be up and is not known bad. */
  expectedUp: set('starting', 'running', 'unhealthy'),
  /** The monitor watches these (desired running, a container that should be up or is about to be restarted). */
  monitored: set('starting', 'running', 'unhealthy', 'restarting', 'crashloop'),
  /** A healthy probe moves these to `running`. */
  awaitingHealth: set('starting', 'unhealthy', 'restarting', 'crashloop'),
  /** A restart has been decided and waits for its time. */
  awaitingRestart: set('restarting', 'crashloop'),
  /** The monitor's failure policy left these; the reconciler does not restart their exits. */
  monitorOwned: set('restarting', 'crashloop', 'failed'),
  /** The failure policy gave up (or slowed down): a manual start or restart resets its backoff. */
  gaveUp: set('failed', 'crashloop'),
  /** `?wait=running` (and the CLI's wait) stops waiting at these. */
  settled: set('running', 'failed', 'crashloop', 'stopped'),
  /** Nobody may act on these until the work in progress finishes. */
  busy: set('creating', 'deleting', 'upgrading'),
  /** A health-gated upgrade may begin from these (a stopped instance changes without a rollout). */
  upgradable: set('starting', 'running', 'unhealthy', 'restarting', 'crashloop', 'failed'),
  /** A start, restart or stop request may act on these. */
  actionable: except('creating', 'deleting'),
  /** A delete may begin from any of these. */
  deletable: except('deleting'),
};

/** Why a status changes: each legal transition has exactly one of these. */
export type TransitionEvent =
  | 'launched' | 'created-stopped' | 'create-failed' | 'healthy' | 'start-timeout' | 'probe-failed'
  | 'restart-scheduled' | 'crashloop' | 'gave-up' | 'stop-requested' | 'stopped' | 'delete-requested'
  | 'upgrade-started' | 'upgraded';

interface Rule {
  event: TransitionEvent;
  from: readonly InstanceStatus[];
  to: InstanceStatus;
}

/** The table. A (from, to) pair not listed here is a bug in the writer. */
export const TRANSITIONS: readonly Rule[] = [
  // A container is (re)started: after create, on start/restart, when the reconciler recreates it.
  { event: 'launched', from: except('deleting'), to: 'starting' },
  { event: 'created-stopped', from: ['creating'], to: 'stopped' },
  { event: 'create-failed', from: ['creating'], to: 'failed' },
  { event: 'healthy', from: STATUS.awaitingHealth, to: 'running' },
  { event: 'start-timeout', from: ['starting'], to: 'unhealthy' },
  { event: 'probe-failed', from: ['running'], to: 'unhealthy' },
  { event: 'restart-scheduled', from: STATUS.monitored, to: 'restarting' },
  { event: 'crashloop', from: STATUS.monitored, to: 'crashloop' },
  { event: 'gave-up', from: STATUS.monitored, to: 'failed' },
  { event: 'stop-requested', from: STATUS.actionable, to: 'stopping' },
  { event: 'stopped', from: except('creating', 'deleting', 'stopped'), to: 'stopped' },
  { event: 'delete-requested', from: except('deleting'), to: 'deleting' },
  // A rollout owns the instance (the monitor neither probes nor restarts it) until the new
  // revision passes its health gate (`upgraded`) or the old one is launched again (`launched`).
  { event: 'upgrade-started', from: STATUS.upgradable, to: 'upgrading' },
  { event: 'upgraded', from: ['upgrading'], to: 'running' },
];

const TABLE = new Map<string, TransitionEvent>();
for (const rule of TRANSITIONS) {
  for (const from of rule.from) TABLE.set(`${from}>${rule.to}`, rule.event);
}

/** The event of a legal transition, or undefined when `from → to` is illegal. */
export function transitionEvent(from: InstanceStatus, to: InstanceStatus): TransitionEvent | undefined {
  return TABLE.get(`${from}>${to}`);
}

export function isInstanceStatus(value: string): value is InstanceStatus {
  return (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** A writer asked for a transition the table does not allow: a bug, not an input error. */
export class IllegalTransitionError extends Error {
  constructor(readonly from: readonly InstanceStatus[], readonly to: InstanceStatus, readonly instanceId: string) {
    super(`illegal instance status transition ${from.join('|')} → ${to} (instance ${instanceId})`);
    this.name = 'IllegalTransitionError';
  }
}

/** What happens on an illegal transition: throw (tests) or log an error and refuse the write (production). */
export type IllegalTransitionPolicy = 'throw' | 'log';

/**
 * The legal subset of `from` for moving to `to`. Any illegal source is a bug: it throws under
 * `throw`, and under `log` is reported through `onIllegal` and dropped from the condition.
 */
export function legalSources(
  id: string, from: readonly InstanceStatus[], to: InstanceStatus, policy: IllegalTransitionPolicy, onIllegal: (error: IllegalTransitionError) => void,
): InstanceStatus[] {
  const illegal = from.filter((f) => transitionEvent(f, to) === undefined);
  if (illegal.length) {
    const error = new IllegalTransitionError(illegal, to, id);
    if (policy === 'throw') throw error;
    onIllegal(error);
  }
  return from.filter((f) => !illegal.includes(f));
}
