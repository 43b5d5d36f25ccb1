/**
 * When an insert or update broke a UNIQUE constraint, the column it was on; otherwise
 * undefined. The store's unique columns are allocators (names, host ports, subnets), so
 * callers retry or answer 409 depending on which one it was.
 */
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
