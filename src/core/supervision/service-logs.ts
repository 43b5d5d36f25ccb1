import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import { splitLogChunk, type ServiceLogLine } from './s6-log-lines.js';

const TAIL_BYTES = 256 * 1024;

export interface ServiceLogOptions {
  tail: number;
  follow: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * A service's s6-log output, read from `<logDir>/<service>/current` through the archive
 * endpoint: the last `tail` lines, then (follow) whatever the file grows by, polled. A
 * rotation (the file shrinks) starts again from the new file's beginning.
 */
export async function* serviceLogs(runtime: RuntimeDriver, clock: Clock, containerId: string, service: string, logDir: string, options: ServiceLogOptions): AsyncGenerator<ServiceLogLine> {
  const path = `${logDir}/${service}/current`;
  const read = async (): Promise<{ size: number; data: Buffer } | undefined> => {
    const entries = await runtime.readPath?.(containerId, path, { keep: () => true, maxFileBytes: TAIL_BYTES });
    const file = entries?.find((e) => e.path === '');
    return file?.data ? { size: file.size, data: file.data } : undefined;
  };
  const first = await read();
  if (!first) {
    throw new BerthError('SERVICE_LOG_NOT_FOUND', `service ${service} has no s6-log file at ${path} (berth reads logs that s6-log writes to <logDir>/<service>/current)`, {
      details: { service, path },
    });
  }
  const { lines, partial } = splitLogChunk(first.data.toString('utf8'));
  // A tail that starts mid-file begins with a cut line: drop it.
  const whole = first.size > first.data.length ? lines.slice(1) : lines;
  for (const line of whole.slice(Math.max(0, whole.length - options.tail))) yield line;
  if (!options.follow) return;
  let size = first.size - Buffer.byteLength(partial);
  let pending = '';
  while (!options.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, options.pollMs ?? 500);
      options.signal?.addEventListener('abort', () => { clock.clearTimeout(timer); resolve(); }, { once: true });
    });
    if (options.signal?.aborted) return;
    const next = await read();
    if (!next || next.size === size) continue;
    let fresh: Buffer;
    if (next.size < size) fresh = next.data;
    else fresh = next.data.subarray(Math.max(0, next.data.length - (next.size - size)));
    size = next.size;
    const split = splitLogChunk(pending + fresh.toString('utf8'));
    pending = split.partial;
    size -= Buffer.byteLength(pending);
    pending = '';
    for (const line of split.lines) yield line;
  }
}
