/**
 * True under vitest or NODE_ENV=test. Only the composition root asks, to make bugs such as an
 * illegal instance status transition throw in tests (they are logged in production).
 */
export function runningUnderTests(): boolean {
  return process.env.VITEST === 'true' || process.env.NODE_ENV === 'test';
}
