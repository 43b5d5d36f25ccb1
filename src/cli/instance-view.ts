import { STATUS } from '../core/instances/instance-status.js';

/**
 * The instance as the API returns it (see src/api/routes/instances.ts). Only the fields the
 * CLI renders are named; --json prints whatever the API sent.
 */
export interface Instance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  image: string;
  status: string;
  desiredState: string;
  hostPort: number | null;
  url: string | null;
  restarts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt?: string;
  startedAt?: string | null;
  containerId?: string | null;
  port?: number;
  command?: string[] | null;
  env?: Record<string, string>;
  secretNames?: string[];
  health?: { path?: string; intervalSeconds?: number; timeoutSeconds?: number; failureThreshold?: number; startPeriodSeconds?: number };
  consecutiveFailures?: number;
  lastCheckAt?: string | null;
  lastCheckOk?: boolean | null;
}

export interface InstanceList {
  items: Instance[];
  total: number;
  /** The cursor of the next page; null on the last. */
  next?: string | null;
}

export const instancePath = (name: string): string => `/v1/instances/${encodeURIComponent(name)}`;

/** Statuses from which an instance will not reach `running` without someone acting. */
export const GAVE_UP: ReadonlySet<string> = new Set(STATUS.gaveUp);
