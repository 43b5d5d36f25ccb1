/**
 * Exit codes scripts can rely on. They are part of the CLI's contract: add, never renumber.
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  UNAVAILABLE: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one line (plus an optional hint) and an exit code; no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.ERROR,
    readonly hint?: string,
    /** The API's error code, when the failure came from the daemon. */
    readonly apiCode?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, ExitCode.USAGE, hint);
}

/** Maps an API error (HTTP status + berth error code) to an exit code. */
export function exitCodeFor(status: number, code: string | undefined): ExitCodeValue {
  if (code === 'ROUTE_NOT_FOUND') return ExitCode.ERROR;
  if (status === 404 || code?.endsWith('_NOT_FOUND')) return ExitCode.NOT_FOUND;
  if (status === 409) return ExitCode.CONFLICT;
  if (status === 503 || status === 502 || status === 504) return ExitCode.UNAVAILABLE;
  if (status === 400 || status === 413 || status === 415 || status === 422) return ExitCode.USAGE;
  return ExitCode.ERROR;
}
