import type { FastifyError, FastifyInstance } from 'fastify';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ENV_KEY, HEALTH_PATH, SLUG } from '../core/instances/instance-spec.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

/** Turns `/body/env/FOO` (or `body.env.FOO`) into `env.FOO`. */
function fieldOf(error: FastifyError): string | undefined {
  const v = error.validation?.[0];
  if (!v) return undefined;
  const base = (v.instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean);
  const params = v.params as Record<string, unknown> | undefined;
  const extra = params?.missingProperty ?? params?.additionalProperty ?? params?.propertyName;
  if (typeof extra === 'string') base.push(extra);
  return base.join('.') || error.validationContext || undefined;
}

/** The patterns people meet, said in words (a regex is no help to someone typing a name). */
const PATTERN_WORDS: Record<string, string> = {
  [SLUG.source]: "must be lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit",
  [ENV_KEY.source]: "must be letters, digits and '_', not starting with a digit",
  [HEALTH_PATH.source]: "must be a URL path starting with '/' (letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ % / ?)",
  '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$': "must be letters, digits, '_', '.' and '-', starting with a letter or digit",
};

/**
 * The validator's first complaint, in words: a known pattern explained, and for a choice
 * (an enum, or a union of constants, which fails once per branch) the allowed values listed.
 */
function validationMessage(errors: NonNullable<FastifyError['validation']>): string {
  const first = errors[0];
  if (!first) return 'invalid input';
  const params = (first.params ?? {}) as Record<string, unknown>;
  const words = first.keyword === 'pattern' && typeof params.pattern === 'string' ? PATTERN_WORDS[params.pattern] : undefined;
  if (words) return words;
  if (first.keyword === 'enum' && Array.isArray(params.allowedValues)) return `must be one of: ${params.allowedValues.map(String).join(', ')}`;
  if (first.keyword === 'const' || first.keyword === 'anyOf') {
    const allowed = errors
      .filter((e) => e.instancePath === first.instancePath && e.keyword === 'const')
      .map((e) => (e.params as { allowedValue?: unknown }).allowedValue)
      .filter((v) => v !== undefined)
      .map(String);
    if (allowed.length > 0) return `must be one of: ${allowed.join(', ')}`;
  }
  return first.message ?? 'invalid input';
}

/**
 * The one error boundary: every failure leaves as `{error:{code,message}}` with a stable code
 * and the right status; stack traces stay in the log.
 */
export function installErrorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError | BerthError, request, reply) => {
    let status: number;
    let body: ErrorBody;
    if (error instanceof BerthError) {
      status = error.status;
      body = { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}), ...(error.details ? { details: error.details } : {}) } };
    } else if (error.validation) {
      const field = fieldOf(error);
      const message = validationMessage(error.validation);
      status = 400;
      body = { error: { code: 'INVALID_INPUT', message: field ? `${field}: ${message}` : message, ...(field ? { field } : {}) } };
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      body = { error: { code: 'BODY_TOO_LARGE', message: `request body is larger than the limit of ${app.initialConfig.bodyLimit ?? 0} bytes` } };
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      body = { error: { code: 'INVALID_INPUT', message: 'send application/json' } };
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      body = { error: { code: 'INVALID_INPUT', message: error.message } };
    } else {
      status = 500;
      body = { error: { code: 'INTERNAL', message: 'internal error; see the berth log' } };
    }
    if (status >= 500 && status !== 503) logger.error({ err: error, url: request.url }, 'request failed');
    void reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
