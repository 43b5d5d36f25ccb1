/** An s6 scan directory as a plan or an instance may name it: absolute, plain segments, no `.` or `..`. */
export const SCAN_DIR_PATTERN = '^(/[A-Za-z0-9_@][A-Za-z0-9_.@-]*)+$';
const SCAN_DIR = new RegExp(SCAN_DIR_PATTERN);

/** Why `value` is not a usable scan directory, or undefined when it is one. */
export function scanDirProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 255 || !SCAN_DIR.test(value)) {
    return 'must be an absolute path of plain segments (letters, digits, "_", ".", "@", "-"), such as /run/service; no "..", no trailing "/", at most 255 characters';
  }
  if (value.split('/').some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  return undefined;
}
