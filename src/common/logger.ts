import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  'token', '*.token', 'secrets', '*.secrets', 'authorization', '*.authorization',
  'req.headers.authorization', 'headers.authorization', 'databaseUrl', '*.databaseUrl', 'password', '*.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { svc: 'berth' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
