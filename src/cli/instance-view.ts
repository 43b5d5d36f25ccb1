import { STATUS } from '../common/instance-status.js';
import type { Instance, Page } from './api-types.js';

export type { Instance } from './api-types.js';
/** A page of instances; `next` is the cursor of the following page (null on the last). */
export type InstanceList = Page<Instance> & { next?: string | null };

export const instancePath = (name: string): string => `/v1/instances/${encodeURIComponent(name)}`;

/** Statuses from which an instance will not reach `running` without someone acting. */
export const GAVE_UP: ReadonlySet<string> = new Set(STATUS.gaveUp);
