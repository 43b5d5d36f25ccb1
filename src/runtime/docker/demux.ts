import type { Readable } from 'node:stream';
import type { LogLine } from '../runtime-driver.js';

/**
 * Docker multiplexes stdout/stderr on one stream: frames of an 8-byte header (stream type,
 * 3 zero bytes, big-endian length) then the payload. These helpers split it into lines.
 */
export function* demuxBuffer(buffer: Buffer): Generator<{ stream: 'stdout' | 'stderr'; chunk: Buffer }> {
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const chunk = buffer.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size;
    yield { stream: type === 2 ? 'stderr' : 'stdout', chunk };
  }
}

export async function* demuxStream(stream: Readable): AsyncGenerator<{ stream: 'stdout' | 'stderr'; chunk: Buffer }> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const data of stream) {
    pending = pending.length ? Buffer.concat([pending, data as Buffer]) : (data as Buffer);
    let offset = 0;
    while (offset + 8 <= pending.length) {
      const size = pending.readUInt32BE(offset + 4);
      if (offset + 8 + size > pending.length) break;
      yield { stream: pending[offset] === 2 ? 'stderr' : 'stdout', chunk: pending.subarray(offset + 8, offset + 8 + size) };
      offset += 8 + size;
    }
    pending = pending.subarray(offset);
  }
}

/** Turns demuxed chunks (timestamps on) into log lines, joining lines split across frames. */
export async function* toLogLines(
  chunks: AsyncIterable<{ stream: 'stdout' | 'stderr'; chunk: Buffer }> | Iterable<{ stream: 'stdout' | 'stderr'; chunk: Buffer }>,
): AsyncGenerator<LogLine> {
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for await (const { stream, chunk } of chunks) {
    const text = partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const raw of lines) yield parseLine(stream, raw);
  }
  for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) yield parseLine(stream, partial[stream]);
}

function parseLine(stream: 'stdout' | 'stderr', raw: string): LogLine {
  const space = raw.indexOf(' ');
  const time = space > 0 ? raw.slice(0, space) : '';
  if (/^\d{4}-\d{2}-\d{2}T/.test(time)) return { stream, time, text: raw.slice(space + 1).replace(/\r$/, '') };
  return { stream, time: '', text: raw.replace(/\r$/, '') };
}
