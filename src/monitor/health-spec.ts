import type { BerthConfig, HealthDefaults, RestartPolicy } from '../config/schema.js';
import { policyMs, type RestartPolicyMs } from './restart-policy.js';

/** The effective form of an instance's HealthSpec (core/instances/instance-types.ts): defaults resolved, in milliseconds. */
export interface HealthSpecMs {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  startPeriodMs: number;
}

function pick<T>(source: Record<string, unknown>, key: string, valid: (v: unknown) => v is T): T | undefined {
  const value = source[key];
  return valid(value) ? value : undefined;
}
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const healthPath = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && !/[\s#]/.test(v);

/**
 * Resolves the health check from the instance's stored spec (JSON, possibly partial), then its
 * plan's defaults, then the top-level defaults. A malformed stored value falls back rather than
 * stopping the monitor.
 */
export function resolveHealthSpec(config: Pick<BerthConfig, 'health' | 'plans'>, plan: string, stored: string | null): HealthSpecMs {
  let own: Record<string, unknown> = {};
  try {
    const parsed: unknown = stored ? JSON.parse(stored) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) own = parsed as Record<string, unknown>;
  } catch {
    own = {};
  }
  const base: HealthDefaults = { ...config.health, ...(config.plans[plan]?.health ?? {}) };
  const seconds = (key: keyof HealthDefaults, valid: (v: unknown) => v is number): number => (pick(own, key, valid) ?? (base[key] as number)) * 1000;
  return {
    path: pick(own, 'path', healthPath) ?? base.path,
    intervalMs: seconds('intervalSeconds', positive),
    timeoutMs: seconds('timeoutSeconds', positive),
    // `retries` is the design document's name for the failure threshold.
    failureThreshold: Math.round(pick(own, 'failureThreshold', positive) ?? pick(own, 'retries', positive) ?? base.failureThreshold),
    successThreshold: Math.round(pick(own, 'successThreshold', positive) ?? base.successThreshold),
    startPeriodMs: seconds('startPeriodSeconds', nonNegative),
  };
}

/** The restart policy of a plan: top-level defaults with the plan's overrides. */
export function resolveRestartPolicy(config: Pick<BerthConfig, 'restart' | 'plans'>, plan: string): RestartPolicyMs {
  const merged: RestartPolicy = { ...config.restart, ...(config.plans[plan]?.restart ?? {}) };
  return policyMs(merged);
}
