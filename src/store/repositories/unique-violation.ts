import { BerthError } from '../../common/errors.js';

/**
 * When an insert or update broke a UNIQUE constraint, the column it was on; otherwise
 * undefined. The store's unique columns are allocators (names, host ports, subnets).
 */
/** Store-internal: callers outside src/store see CONFLICT (orConflict). */
export function uniqueViolation(error: unknown): string | undefined {
  const e = (error ?? {}) as { code?: string; message?: string; detail?: string; constraint?: string };
  // SQLite (better-sqlite3): "UNIQUE constraint failed: instances.host_port"
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT')) {
    const m = /constraint failed: [\w]+\.(\w+)/.exec(e.message ?? '');
    return m?.[1] ?? 'unknown';
  }
  // Postgres: 23505 with detail "Key (host_port)=(20001) already exists."
  if (e.code === '23505') {
    const m = /Key \(([\w, ]+)\)/.exec(e.detail ?? '');
    if (m?.[1]) return m[1].split(',')[0]!.trim();
    return e.constraint ?? 'unknown';
  }
  return undefined;
}

const camel = (column: string): string => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Runs a write; a unique violation leaves the store as `BerthError('CONFLICT')` naming the
 * taken field in the domain's words (see conflictOn), so callers retry or answer 409.
 */
export async function orConflict<T>(table: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const column = uniqueViolation(error);
    if (column === undefined) throw error;
    const field = camel(column);
    throw new BerthError('CONFLICT', `${table}: ${field} is already taken`, { cause: error, details: { unique: field } });
  }
}
