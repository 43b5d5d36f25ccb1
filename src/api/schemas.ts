import { Type, type TSchema } from '@sinclair/typebox';

/** Shapes shared by many routes. */
export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable machine-readable code, e.g. INSTANCE_NOT_FOUND' }),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'The request field at fault, for INVALID_INPUT' })),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Figures behind the error, e.g. QUOTA_EXCEEDED: limit, limitValue, usage, request' })),
  }),
}, { $id: 'Error', title: 'Error' });

export const ErrorRef = Type.Ref('Error');

/** Standard error responses for an authenticated route. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, 401, 429, ...statuses]) out[s] = ErrorRef;
  return out;
}

export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), total: Type.Integer() });
}

export const Security = [{ bearer: [] as string[] }];
