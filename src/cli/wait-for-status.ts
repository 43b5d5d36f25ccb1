import { sleep } from '../common/clock.js';
import type { ApiClient } from './api-client.js';
import { CliError, ExitCode } from './exit-codes.js';
import { paintStatus } from './format.js';
import { GAVE_UP, instancePath, type Instance } from './instance-view.js';
import type { Colors } from './output.js';
import type { Progress } from './progress.js';

export interface WaitOptions {
  /** The status that ends the wait successfully. */
  target: 'running' | 'stopped' | 'gone';
  timeoutSeconds: number;
  /**
   * For restart: a status seen before the action. The wait only counts `target` once the
   * instance has visibly moved (another status, or a new startedAt), so an instance that has
   * not begun restarting yet is not mistaken for one that has finished.
   */
  mustChangeFrom?: { startedAt: string | null | undefined };
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls an instance until it reaches the target status, showing the current status on
 * `progress`. Resolves with the final instance (undefined once it is gone); throws a CliError
 * when it gives up (failed, crashloop) or the time runs out.
 */
export async function waitForStatus(client: ApiClient, name: string, progress: Progress, colors: Colors, options: WaitOptions): Promise<Instance | undefined> {
  const until = Date.now() + options.timeoutSeconds * 1000;
  let moved = options.mustChangeFrom === undefined;
  let last: Instance | undefined;
  for (;;) {
    let instance: Instance | undefined;
    try {
      instance = await client.get<Instance>(instancePath(name), undefined, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (options.target === 'gone' && error instanceof CliError && error.exitCode === ExitCode.NOT_FOUND) {
        progress.finish(true, `${name} is gone (${progress.elapsedSeconds()})`);
        return undefined;
      }
      progress.stop();
      throw error;
    }
    last = instance;
    if (!moved) {
      moved = instance.status !== options.target || (instance.startedAt ?? null) !== (options.mustChangeFrom?.startedAt ?? null);
    }
    if (moved && instance.status === options.target) {
      const where = options.target === 'running' && instance.url ? ` at ${instance.url}` : '';
      progress.finish(true, `${name} is ${paintStatus(instance.status, colors)}${where} (${progress.elapsedSeconds()})`);
      return instance;
    }
    if (options.target === 'running' && moved && GAVE_UP.has(instance.status)) {
      progress.finish(false, `${name} is ${paintStatus(instance.status, colors)} (${progress.elapsedSeconds()})${instance.lastError ? `: ${instance.lastError}` : ''}`);
      throw new CliError(`${name} did not become running: it is ${instance.status}`, ExitCode.ERROR, `see \`berth logs ${name}\` and \`berth events ${name}\``);
    }
    progress.update(`${name}: ${paintStatus(instance.status, colors)}${instance.lastError && instance.status !== 'running' ? colors.dim(` — ${instance.lastError}`) : ''}`);
    if (Date.now() >= until) {
      progress.finish(false, `${name} is still ${instance.status} after ${options.timeoutSeconds}s`);
      throw new CliError(`timed out waiting for ${name} to be ${options.target} (it is ${last.status})`, ExitCode.ERROR, 'wait longer with --timeout, or see `berth events ' + name + '`');
    }
    await sleep(options.pollMs ?? 400, options.signal);
    if (options.signal?.aborted) {
      progress.stop();
      throw options.signal.reason instanceof Error ? options.signal.reason : new Error('interrupted');
    }
  }
}
