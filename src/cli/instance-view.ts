import { STATUS } from '../common/instance-status.js';
import type { Instance, Page } from './api-types.js';

export type { Instance } from './api-types.js';
export type InstanceList = Page<Instance>;

export const instancePath = (name: string): string => `/v1/instances/${encodeURIComponent(name)}`;

/** Statuses from which an instance will not reach `running` without someone acting. */
export const GAVE_UP: ReadonlySet<string> = new Set(STATUS.gaveUp);
