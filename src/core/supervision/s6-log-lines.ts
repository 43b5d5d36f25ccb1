/** A line of an s6-log `current` file, its timestamp decoded when s6-log added one. */
export interface ServiceLogLine {
  time: string;
  text: string;
}

const TAI_EPOCH = 2n ** 62n;
const TAI_UTC_OFFSET = 37n;

/** s6-log's `t` (TAI64N label) and `T` (ISO 8601, space-separated) prefixes. */
export function parseS6LogLine(line: string): ServiceLogLine {
  const tai = /^@([0-9a-f]{16})([0-9a-f]{8}) (.*)$/.exec(line);
  if (tai) {
    const secs = BigInt(`0x${tai[1]}`) - TAI_EPOCH - TAI_UTC_OFFSET;
    const ms = Number(secs) * 1000 + Math.floor(parseInt(tai[2]!, 16) / 1e6);
    return { time: new Date(ms).toISOString(), text: tai[3]! };
  }
  const iso = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?  ?(.*)$/.exec(line);
  if (iso) {
    const frac = (iso[3] ?? '.0').slice(0, 4).padEnd(4, '0');
    return { time: `${iso[1]}T${iso[2]}${frac}Z`, text: iso[4]! };
  }
  return { time: '', text: line };
}

/** Splits a chunk of a log file into lines; a trailing partial line is returned separately. */
export function splitLogChunk(chunk: string): { lines: ServiceLogLine[]; partial: string } {
  const parts = chunk.split('\n');
  const partial = parts.pop() ?? '';
  return { lines: parts.filter((p) => p.length > 0).map(parseS6LogLine), partial };
}
