import { Type, type Static } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import { StatusSchema } from './instance-schemas.js';

/** The list's page size when none is asked for, and the most one page may hold. */
export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 1000;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * `view=summary`: what a fleet table shows of each instance — a fleet of 500 refreshes in
 * about a quarter of the bytes of the full view (no env, command, health spec, image, ids of
 * containers, check counters).
 */
export const InstanceSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tenant: Type.String(),
  plan: Type.String(),
  status: StatusSchema,
  desiredState: Type.Union([Type.Literal('running'), Type.Literal('stopped')]),
  hostPort: Nullable(Type.Integer()),
  url: Nullable(Type.String()),
  restarts: Type.Integer(),
  lastCheckAt: Nullable(Type.String()),
  lastCheckOk: Nullable(Type.Boolean()),
  lastError: Nullable(Type.String()),
  node: Type.Optional(Nullable(Type.String())),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { $id: 'InstanceSummary', title: 'InstanceSummary' });

export type InstanceSummary = Static<typeof InstanceSummarySchema>;

const page = { total: Type.Integer(), next: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })) };
export const FullListSchema = Type.Object({ items: Type.Array(Type.Ref('Instance')), ...page });
export const SummaryListSchema = Type.Object({ items: Type.Array(Type.Ref('InstanceSummary')), ...page });

export const ListQuery = Type.Object({
  tenant: Type.Optional(Type.String({ maxLength: 63 })),
  status: Type.Optional(StatusSchema),
  plan: Type.Optional(Type.String({ maxLength: 32 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT, description: `Page size (default ${LIST_DEFAULT_LIMIT}, at most ${LIST_MAX_LIMIT})` })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `next` of the previous page' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Rows to skip (older paging; prefer cursor, which stays correct while instances come and go)' })),
  view: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('summary')], { default: 'full', description: '`summary`: compact items (InstanceSummary)' })),
});

/** Where a page ends: instances are listed by creation time, then id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

/** Opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return { createdAt: parsed[0], id: parsed[1] };
  } catch {
    // fall through
  }
  throw BerthError.invalid('cursor', 'is not a cursor this API gave out: pass the `next` of the previous page unchanged');
}
