import { BerthError } from '../../common/errors.js';
import { isTimeZone, parseSchedule } from './job-schedule.js';
import type { HttpMethod, JobAction, JobSpec, JobTarget, MissedPolicy } from './job-types.js';

/** A job as a caller sends it: shapes checked by the API schema, meaning checked here. */
export interface JobInput {
  name?: string;
  schedule?: string;
  timezone?: string;
  target?: { instance?: string; instanceId?: string; tenant?: string; plan?: string };
  action?: {
    type?: string;
    command?: string[];
    timeoutSeconds?: number;
    method?: string;
    path?: string;
    body?: unknown;
    mode?: string;
  };
  enabled?: boolean;
  missedPolicy?: string;
  overlapPolicy?: string;
  timeoutSeconds?: number;
}

export interface SpecLimits {
  /** Run timeout when the job names none (config scheduler.defaultTimeoutSeconds). */
  defaultTimeoutSeconds: number;
  /** Plans the daemon knows, for plan targets. */
  plans: readonly string[];
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SLUG = NAME;
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/;
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const MAX_TIMEOUT = 24 * 3600;

/** Validates and normalises a job definition; throws INVALID_INPUT naming the field at fault. */
export function validateJobSpec(input: JobInput, limits: SpecLimits): JobSpec {
  const name = input.name ?? '';
  if (!NAME.test(name)) throw BerthError.invalid('name', 'must be a DNS-label slug: 1-63 of a-z, 0-9 and "-", not starting or ending with "-"');
  const timezone = input.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) throw BerthError.invalid('timezone', `${JSON.stringify(timezone)} is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  const schedule = (input.schedule ?? '').trim().replace(/\s+/g, ' ');
  checkSchedule(schedule, timezone);
  const timeoutSeconds = input.timeoutSeconds ?? Math.max(limits.defaultTimeoutSeconds, actionTimeout(input.action) ?? 0);
  checkTimeout('timeoutSeconds', timeoutSeconds);
  const missedPolicy = input.missedPolicy ?? 'skip';
  if (missedPolicy !== 'skip' && missedPolicy !== 'run-once') throw BerthError.invalid('missedPolicy', 'must be "skip" or "run-once"');
  const overlapPolicy = input.overlapPolicy ?? 'skip';
  if (overlapPolicy !== 'skip') throw BerthError.invalid('overlapPolicy', 'must be "skip" (a run never starts while the previous one is going)');
  return {
    name,
    schedule,
    timezone,
    target: validateTarget(input.target, limits.plans),
    action: validateAction(input.action, timeoutSeconds),
    enabled: input.enabled ?? true,
    missedPolicy: missedPolicy as MissedPolicy,
    overlapPolicy,
    timeoutSeconds,
  };
}

function checkSchedule(schedule: string, timezone: string): void {
  if (!schedule) throw BerthError.invalid('schedule', 'a cron expression is required, e.g. "0 3 * * *" or "*/30 * * * * *" (seconds first)');
  let next: Date | null;
  try {
    next = parseSchedule(schedule, timezone).nextRun();
  } catch (error) {
    throw BerthError.invalid('schedule', `${JSON.stringify(schedule)} is not a cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (!next) throw BerthError.invalid('schedule', `${JSON.stringify(schedule)} never fires`);
}

function checkTimeout(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT) throw BerthError.invalid(field, `must be a whole number of seconds from 1 to ${MAX_TIMEOUT}`);
}

function actionTimeout(action: JobInput['action']): number | undefined {
  return action?.type === 'exec' || action?.type === 'http' ? action.timeoutSeconds : undefined;
}

function validateTarget(target: JobInput['target'], plans: readonly string[]): JobTarget {
  const keys = Object.entries(target ?? {}).filter(([k, v]) => v !== undefined && k !== 'instanceId');
  if (keys.length !== 1) throw BerthError.invalid('target', 'name exactly one of {"instance": name}, {"tenant": slug} or {"plan": name}');
  const [key, value] = keys[0] as [string, string];
  if (key === 'instance') {
    if (!value) throw BerthError.invalid('target.instance', 'must name an instance');
    return target?.instanceId ? { instance: value, instanceId: target.instanceId } : { instance: value };
  }
  if (key === 'tenant') {
    if (!SLUG.test(value)) throw BerthError.invalid('target.tenant', 'must be a tenant slug');
    return { tenant: value };
  }
  if (!plans.includes(value)) throw BerthError.invalid('target.plan', `no plan ${JSON.stringify(value)}; plans: ${plans.join(', ')}`);
  return { plan: value };
}

function validateAction(action: JobInput['action'], runTimeout: number): JobAction {
  if (!action) throw BerthError.invalid('action', 'an action is required: {"type": "restart" | "exec" | "http" | "snapshot", …}');
  // A per-target timeout longer than the whole run could never be reached.
  const timeoutOf = (): number => {
    const t = action.timeoutSeconds ?? runTimeout;
    checkTimeout('action.timeoutSeconds', t);
    return Math.min(t, runTimeout);
  };
  switch (action.type) {
    case 'snapshot': {
      for (const extra of ['command', 'method', 'path', 'body', 'timeoutSeconds'] as const) {
        if (action[extra] !== undefined) throw BerthError.invalid(`action.${extra}`, 'does not apply to a snapshot');
      }
      const mode = action.mode ?? 'pause';
      if (mode !== 'pause' && mode !== 'stop') throw BerthError.invalid('action.mode', 'must be "pause" or "stop"');
      return { type: 'snapshot', mode };
    }
    case 'restart':
      if (action.mode !== undefined) throw BerthError.invalid('action.mode', 'applies to a snapshot only');
      for (const extra of ['command', 'method', 'path', 'body'] as const) {
        if (action[extra] !== undefined) throw BerthError.invalid(`action.${extra}`, 'does not apply to a restart');
      }
      return { type: 'restart' };
    case 'exec': {
      const command = action.command;
      if (!Array.isArray(command) || command.length === 0 || command.length > 256) throw BerthError.invalid('action.command', 'must be an argv array of 1-256 strings, e.g. ["sh", "-c", "echo hi"]');
      command.forEach((arg, i) => {
        if (typeof arg !== 'string' || arg.length > 8192 || arg.includes('\0')) throw BerthError.invalid(`action.command.${i}`, 'must be a string of at most 8192 characters without NUL');
      });
      if (!command[0]) throw BerthError.invalid('action.command.0', 'the program must not be empty');
      return { type: 'exec', command: [...command], timeoutSeconds: timeoutOf() };
    }
    case 'http': {
      const method = (action.method ?? 'GET').toUpperCase() as HttpMethod;
      if (!METHODS.includes(method)) throw BerthError.invalid('action.method', `must be one of ${METHODS.join(', ')}`);
      const path = action.path ?? '';
      if (!PATH.test(path) || path.startsWith('//')) throw BerthError.invalid('action.path', 'must be a path on the instance starting with "/", e.g. "/tasks/nightly"');
      const body = action.body;
      if (body !== undefined && typeof body !== 'string' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        throw BerthError.invalid('action.body', 'must be a string or a JSON object');
      }
      if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw BerthError.invalid('action.body', `a ${method} request has no body`);
      return { type: 'http', method, path, ...(body !== undefined ? { body: body as string | Record<string, unknown> } : {}), timeoutSeconds: timeoutOf() };
    }
    default:
      throw BerthError.invalid('action.type', 'must be "restart", "exec", "http" or "snapshot"');
  }
}

/** Two specs are the same job when every stored field matches (idempotent create). */
export function sameSpec(a: JobSpec, b: JobSpec): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}
