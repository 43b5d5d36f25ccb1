import type { Colors } from './output.js';

/** The one rule for every entry point: pretty on a terminal, JSON otherwise, unless forced. */
export function wantPretty(format: string | undefined, isTTY: boolean | undefined): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return isTTY === true;
}

/** A pino destination that writes each JSON line as `formatLogLine` shows it. */
export function prettyDestination(stream: { write(text: string): unknown }, colors: Colors): { write(line: string): void } {
  return { write: (line) => void stream.write(`${line.split('\n').filter(Boolean).map((l) => formatLogLine(l, colors)).join('\n')}\n`) };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'svc', 'v']);

/**
 * One line of the daemon's JSON log as a person reads it: `time LEVEL message key=value…`.
 * Lines that are not JSON (a crash trace) pass through unchanged.
 */
export function formatLogLine(line: string, colors: Colors): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().replace('T', ' ').replace('Z', '') : '';
  const levelNumber = typeof entry.level === 'number' ? entry.level : 30;
  const label = (LEVELS[levelNumber] ?? String(entry.level)).padEnd(5);
  const level = levelNumber >= 50 ? colors.red(label) : levelNumber >= 40 ? colors.yellow(label) : levelNumber >= 30 ? colors.green(label) : colors.dim(label);
  const extras = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${colors.dim(`${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [colors.dim(time), level, String(entry.msg ?? ''), ...extras].filter(Boolean).join(' ');
}
