import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { engineError } from '../docker/docker-connection.js';
import { demuxBuffer, demuxStream, toLogLines } from '../docker/demux.js';
import type { LogLine, LogOptions } from '../runtime-driver.js';

/** A service's logs through the manager, which gathers them from whichever node ran each task. */
export async function* serviceLogs(docker: Docker, host: string, id: string, options: LogOptions): AsyncGenerator<LogLine> {
  const base = {
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    since: options.since ?? 0,
  };
  const service = docker.getService(id);
  if (!options.follow) {
    let buffer: Buffer;
    try {
      buffer = (await service.logs({ ...base, follow: false })) as unknown as Buffer;
    } catch (error) {
      throw engineError(error, host, 'service');
    }
    yield* toLogLines(demuxBuffer(buffer));
    return;
  }
  let stream: Readable;
  try {
    stream = (await service.logs({ ...base, follow: true })) as unknown as Readable;
  } catch (error) {
    throw engineError(error, host, 'service');
  }
  const abort = (): void => void stream.destroy();
  if (options.signal?.aborted) return abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    yield* toLogLines(demuxStream(stream));
  } catch (error) {
    if (!options.signal?.aborted) throw engineError(error, host, 'service');
  } finally {
    options.signal?.removeEventListener('abort', abort);
    stream.destroy();
  }
}
