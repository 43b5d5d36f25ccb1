import type { Logger } from './logger.js';

/** A long-running part of the daemon (reconciler loop, monitor, scheduler …). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stops loops and waits for in-flight work, within the daemon's grace period. */
  stop(): Promise<void>;
}

/** Runs one boot phase, logging its name and duration; rethrows with the phase named. */
export async function phase<T>(logger: Logger, name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await fn();
    logger.info({ phase: name, ms: Math.round(performance.now() - started) }, `boot phase ${name} done`);
    return result;
  } catch (error) {
    logger.error({ phase: name, ms: Math.round(performance.now() - started), err: error }, `boot phase ${name} failed`);
    throw error;
  }
}
