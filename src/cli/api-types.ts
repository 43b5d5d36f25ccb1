import type { Static } from '@sinclair/typebox';
import type { Container } from '../api/routes/docker.js';
import type { Orphans } from '../api/routes/gc.js';
import type { JobView, RunView } from '../api/routes/jobs.js';
import type { EventSchema, HealthSchema, InstanceSchema } from '../api/routes/instance-schemas.js';
import type { Node } from '../api/routes/nodes.js';
import type { ServiceSchema, SupervisedContainerSchema } from '../api/routes/service-schemas.js';
import type { TenantView } from '../api/routes/tenants.js';
import type { TokenView } from '../api/routes/tokens.js';

/**
 * What the API answers, as the CLI reads it: derived from the route schemas (the contract the
 * OpenAPI document is generated from), never copied by hand. Type-only: no server code loads.
 */
/** The schema refers to its health spec by $ref ('HealthSpec'); Static cannot follow a ref, so it is put back here. */
export type Instance = Omit<Static<typeof InstanceSchema>, 'health'> & { health: Static<typeof HealthSchema> };
export type Event = Static<typeof EventSchema>;
export type Job = Static<typeof JobView>;
export type JobRun = Static<typeof RunView>;
export type ClusterNode = Static<typeof Node>;
export type Service = Static<typeof ServiceSchema>;
export type SupervisedContainer = Static<typeof SupervisedContainerSchema>;
export type Tenant = Static<typeof TenantView>;
export type Token = Static<typeof TokenView>;
export type DockerContainer = Static<typeof Container>;
export type OrphanList = Static<typeof Orphans>;
export type OrphanVolume = OrphanList['volumes'][number];

/** A page of a list route. */
export interface Page<T> {
  items: T[];
  total: number;
}
