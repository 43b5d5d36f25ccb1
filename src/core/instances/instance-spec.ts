import { createHash } from 'node:crypto';
import { BerthError } from '../../common/errors.js';
import { requirePlan, type PlanCatalog } from '../plans/resolve-plans.js';
import { scanDirProblem } from '../supervision/scan-dir-path.js';
import type { CreateInstanceInput, HealthSpec, InstanceSpec } from './instance-types.js';

/** DNS label: what container names, hostnames and URLs accept everywhere. */
export const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A Docker image reference: [registry[:port]/]path[:tag][@digest]; never a filesystem path. */
export const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const HEALTH_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/;
/** Env names berth sets itself, so an agent always knows who and where it is. */
export const RESERVED_ENV = ['BERTH_INSTANCE', 'BERTH_TENANT'];

const MAX_ARGS = 256;
const MAX_VALUE = 32 * 1024;

export interface SpecDefaults {
  plans: PlanCatalog;
  defaultPlan: string;
  defaultImage: string;
  defaultPort: number;
  allowedImages: readonly string[];
}

/** Checks a create request against the domain rules and fills defaults. Every failure names its field. */
export function normalizeSpec(input: CreateInstanceInput, d: SpecDefaults): InstanceSpec {
  const tenant = slug('tenant', input.tenant);
  const name = slug('name', input.name ?? tenant);
  const plan = requirePlan(d.plans, input.plan ?? d.defaultPlan);
  const image = input.image ?? d.defaultImage;
  if (typeof image !== 'string' || !IMAGE_REF.test(image)) {
    throw BerthError.invalid('image', 'must be an image reference such as berth/test-agent:local (no paths, no URLs)');
  }
  if (d.allowedImages.length > 0 && !d.allowedImages.includes(image)) {
    throw new BerthError('IMAGE_NOT_ALLOWED', `image: ${image} is not in runtime.allowedImages (${d.allowedImages.join(', ')})`, { field: 'image' });
  }
  const port = input.port ?? d.defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw BerthError.invalid('port', 'must be an integer from 1 to 65535');

  const env = stringMap('env', input.env ?? {});
  const secrets = stringMap('secrets', input.secrets ?? {});
  for (const key of Object.keys(secrets)) {
    if (key in env) throw BerthError.invalid(`secrets.${key}`, 'is also set in env; a name is either plain env or a secret');
  }

  let command: string[] | null = null;
  if (input.command !== undefined && input.command !== null) {
    if (!Array.isArray(input.command) || input.command.length === 0 || input.command.length > MAX_ARGS) {
      throw BerthError.invalid('command', `must be an argv array of 1 to ${MAX_ARGS} strings (it is never run through a shell)`);
    }
    command = input.command.map((arg, i) => {
      if (typeof arg !== 'string' || arg.length > MAX_VALUE || arg.includes('\0')) throw BerthError.invalid(`command.${i}`, 'must be a string without NUL bytes');
      return arg;
    });
  }

  const health = { ...plan.health, ...definedOnly(input.health ?? {}) };
  if (!HEALTH_PATH.test(health.path) || health.path.includes('..')) throw BerthError.invalid('health.path', 'must be a URL path starting with / (no "..")');
  for (const key of ['intervalSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'] as const) {
    if (!(Number.isFinite(health[key]) && health[key] > 0)) throw BerthError.invalid(`health.${key}`, 'must be a positive number');
  }
  if (!(Number.isFinite(health.startPeriodSeconds) && health.startPeriodSeconds >= 0)) throw BerthError.invalid('health.startPeriodSeconds', 'must be zero or more');
  // A default timeout longer than a shorter interval the caller asked for follows the interval down.
  if (input.health?.timeoutSeconds === undefined) health.timeoutSeconds = Math.min(health.timeoutSeconds, health.intervalSeconds, HEALTH_BOUNDS.maxTimeoutSeconds);
  checkHealthBounds(health);
  if (health.services !== undefined) {
    if (!Array.isArray(health.services) || health.services.length > 32) throw BerthError.invalid('health.services', 'must be a list of at most 32 service names');
    health.services.forEach((s, i) => {
      if (typeof s !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/.test(s)) throw BerthError.invalid(`health.services.${i}`, 'must be an s6 service name');
    });
  }

  let scanDir: string | undefined;
  if (input.scanDir !== undefined) {
    const problem = scanDirProblem(input.scanDir);
    if (problem) throw BerthError.invalid('scanDir', problem);
    scanDir = input.scanDir;
  }
  return { tenant, name, plan: plan.name, image, command, env, secrets, port, health, ...(scanDir ? { scanDir } : {}) };
}

/** Hash of the full spec, for idempotent create. Secrets enter only as a keyed digest. */
export function specHash(spec: InstanceSpec, secretsDigest: string): string {
  const { secrets: _secrets, ...rest } = spec;
  return createHash('sha256').update(canonicalJson({ ...rest, secrets: secretsDigest })).digest('hex');
}

function slug(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SLUG.test(value)) {
    throw BerthError.invalid(field, 'must be a DNS label: 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit');
  }
  return value;
}

function stringMap(field: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw BerthError.invalid(field, 'must be an object of names to strings');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!ENV_KEY.test(key)) throw BerthError.invalid(`${field}.${key}`, 'names must match ^[A-Za-z_][A-Za-z0-9_]*$');
    if (RESERVED_ENV.includes(key)) throw BerthError.invalid(`${field}.${key}`, `is set by berth (${RESERVED_ENV.join(', ')})`);
    if (typeof v !== 'string' || v.length > MAX_VALUE || v.includes('\0')) throw BerthError.invalid(`${field}.${key}`, `must be a string of at most ${MAX_VALUE} characters without NUL bytes`);
    out[key] = v;
  }
  return out;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** JSON with object keys sorted at every level, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Bounds that keep a tenant's health settings from becoming a load on the prober (or a way to hold probe slots). */
export const HEALTH_BOUNDS = { minIntervalSeconds: 1, maxTimeoutSeconds: 30, maxStartPeriodSeconds: 600 } as const;

export function checkHealthBounds(health: Pick<HealthSpec, 'intervalSeconds' | 'timeoutSeconds' | 'startPeriodSeconds'>): void {
  if (health.intervalSeconds < HEALTH_BOUNDS.minIntervalSeconds) {
    throw BerthError.invalid('health.intervalSeconds', `must be at least ${HEALTH_BOUNDS.minIntervalSeconds} second`);
  }
  const maxTimeout = Math.min(health.intervalSeconds, HEALTH_BOUNDS.maxTimeoutSeconds);
  if (health.timeoutSeconds > maxTimeout) {
    throw BerthError.invalid('health.timeoutSeconds', `must be at most ${maxTimeout} seconds (no longer than the interval, and at most ${HEALTH_BOUNDS.maxTimeoutSeconds})`);
  }
  if (health.startPeriodSeconds > HEALTH_BOUNDS.maxStartPeriodSeconds) {
    throw BerthError.invalid('health.startPeriodSeconds', `must be at most ${HEALTH_BOUNDS.maxStartPeriodSeconds} seconds (10 minutes)`);
  }
}
