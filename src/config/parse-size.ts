const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/**
 * Parses a memory size: "512MiB", "1GiB", "512m", or a bare number meaning MiB.
 * Returns bytes, or undefined when the value is not a positive size.
 */
export function parseMemorySize(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 ? Math.round(value * 1024 ** 2) : undefined;
  }
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  const amount = Number(match[1]);
  if (unit === undefined || !(amount > 0)) return undefined;
  // A bare string number means MiB, like a bare number.
  const bytes = Math.round(amount * (match[2] === '' ? 1024 ** 2 : unit));
  return bytes > 0 ? bytes : undefined;
}
