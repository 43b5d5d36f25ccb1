import type { FastifyRequest } from 'fastify';
import type { Viewer } from '../../core/instances/instance-types.js';
import { principalOf } from '../auth.js';

/** The caller as the instance domain sees it: its tenant (null for admin) and its name as the actor. */
export function viewerOf(request: FastifyRequest): Viewer & { actor: string } {
  const p = principalOf(request);
  return { tenant: p.scope === 'tenant' ? p.tenant : null, actor: p.name };
}
