/** What a masked secret value is replaced with. */
export const MASK = '[secret]';

/** Secret values shorter than this are not masked: masking "1" or "on" would garble output and hide nothing. */
const MIN_LENGTH = 4;

/**
 * Replaces every occurrence of a known secret value in `text` (captured job output, container
 * logs) with MASK. Longest values first, so a secret containing another is masked whole.
 */
export function maskSecrets(text: string, values: readonly string[]): string {
  const candidates = [...new Set(values)].filter((v) => v.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
  let out = text;
  for (const value of candidates) out = out.split(value).join(MASK);
  return out;
}
