/**
 * The one error type of berth. Every failure that crosses a module boundary is a BerthError
 * with a stable code; the HTTP layer maps codes to statuses, the CLI maps them to exit codes.
 * Codes are part of the public contract: add freely, never rename.
 */
export const ErrorCodes = {
  INVALID_INPUT: 400,
  INVALID_CONFIG: 400,
  BODY_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  INSTANCE_NOT_FOUND: 404,
  CONTAINER_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  SERVICE_NOT_FOUND: 404,
  SERVICE_LOG_NOT_FOUND: 404,
  NO_SUPERVISOR: 409,
  WORKSPACE_NOT_FOUND: 404,
  TENANT_NOT_FOUND: 404,
  ROLLOUT_NOT_FOUND: 404,
  SNAPSHOT_NOT_FOUND: 404,
  /** A snapshot's file is missing or no longer matches its recorded sha256: nothing was restored. */
  SNAPSHOT_CORRUPT: 409,
  QUOTA_EXCEEDED: 403,
  PLAN_NOT_FOUND: 400,
  IMAGE_NOT_FOUND: 422,
  IMAGE_NOT_ALLOWED: 400,
  CONFLICT: 409,
  INSTANCE_CONFLICT: 409,
  PORTS_EXHAUSTED: 409,
  SUBNETS_EXHAUSTED: 409,
  /** An existing engine network berth would use lacks its labels or isolation. */
  NETWORK_UNTRUSTED: 409,
  INVALID_STATE: 409,
  /** Another berth process is acting on this instance right now (the per-instance store lock). */
  INSTANCE_BUSY: 409,
  RATE_LIMITED: 429,
  RUNTIME_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  NOT_READY: 503,
  AGENT_UNAVAILABLE: 503,
  TIMEOUT: 504,
  RUNTIME_ERROR: 502,
  PLACEMENT_UNSATISFIABLE: 422,
  /** A node-local workspace lives on a node that cannot run tasks now (drained, down). */
  WORKSPACE_NODE_UNAVAILABLE: 409,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface BerthErrorOptions {
  /** The request field at fault, for INVALID_INPUT: a dotted path such as `env.FOO`. */
  field?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get status(): number {
    return ErrorCodes[this.code];
  }

  static invalid(field: string, message: string): BerthError {
    return new BerthError('INVALID_INPUT', `${field}: ${message}`, { field });
  }
}

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}

/** The field a store write found taken (`hostPort`, `name`, `subnet`…), when `error` is the store's unique-violation CONFLICT. */
export function conflictOn(error: unknown): string | undefined {
  if (!(error instanceof BerthError) || error.code !== 'CONFLICT') return undefined;
  const unique = error.details?.['unique'];
  return typeof unique === 'string' ? unique : undefined;
}

/** A short, safe description of any thrown value, for logs and events. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
