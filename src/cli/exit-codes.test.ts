import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeFor } from './exit-codes.js';

describe('exitCodeFor', () => {
  it('maps API statuses and codes to the documented exit codes', () => {
    expect(exitCodeFor(404, 'INSTANCE_NOT_FOUND')).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeFor(422, 'IMAGE_NOT_FOUND')).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeFor(400, 'PLAN_NOT_FOUND')).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeFor(404, 'ROUTE_NOT_FOUND')).toBe(ExitCode.ERROR);
    expect(exitCodeFor(409, 'INSTANCE_CONFLICT')).toBe(ExitCode.CONFLICT);
    expect(exitCodeFor(409, 'PORTS_EXHAUSTED')).toBe(ExitCode.CONFLICT);
    expect(exitCodeFor(503, 'RUNTIME_UNAVAILABLE')).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeFor(504, 'TIMEOUT')).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeFor(400, 'INVALID_INPUT')).toBe(ExitCode.USAGE);
    expect(exitCodeFor(413, 'BODY_TOO_LARGE')).toBe(ExitCode.USAGE);
    expect(exitCodeFor(401, 'UNAUTHORIZED')).toBe(ExitCode.ERROR);
    expect(exitCodeFor(403, 'FORBIDDEN')).toBe(ExitCode.ERROR);
    expect(exitCodeFor(500, 'INTERNAL')).toBe(ExitCode.ERROR);
  });
});
