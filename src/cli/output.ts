import type { Writable } from 'node:stream';

type Paint = (text: string) => string;

export interface Colors {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  cyan: Paint;
}

function sgr(enabled: boolean, open: number, close: number): Paint {
  return enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
}

export function makeColors(enabled: boolean): Colors {
  return {
    enabled,
    bold: sgr(enabled, 1, 22),
    dim: sgr(enabled, 2, 22),
    red: sgr(enabled, 31, 39),
    green: sgr(enabled, 32, 39),
    yellow: sgr(enabled, 33, 39),
    blue: sgr(enabled, 34, 39),
    cyan: sgr(enabled, 36, 39),
  };
}

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function colorWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Renders rows as an aligned table with an upper-case header, columns three spaces apart. */
export function renderTable<T>(columns: Array<Column<T>>, rows: T[], colors: Colors): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i] ?? ''))));
  const pad = (text: string, i: number): string => {
    const gap = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(text)));
    return columns[i]?.right ? gap + text : text + gap;
  };
  const line = (values: string[]): string => values.map((v, i) => (i === values.length - 1 && !columns[i]?.right ? v : pad(v, i))).join('   ').trimEnd();
  const header = colors.bold(line(columns.map((c) => c.header.toUpperCase())));
  return [header, ...cells.map(line)].join('\n');
}

/** Renders `key: value` pairs with the keys aligned. */
export function renderPairs(pairs: Array<[string, string]>, colors: Colors): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${colors.dim(`${k}:`.padEnd(width + 1))} ${v}`).join('\n');
}

/** Where a command writes: stdout for results, stderr for progress and errors. */
export class Output {
  readonly colors: Colors;
  readonly errColors: Colors;

  constructor(
    readonly stdout: Writable & { isTTY?: boolean; columns?: number },
    readonly stderr: Writable & { isTTY?: boolean },
    env: Record<string, string | undefined>,
  ) {
    this.colors = makeColors(colorWanted(stdout, env));
    this.errColors = makeColors(colorWanted(stderr, env));
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Prints the API's JSON as is (pretty) for scripts and jq. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  table<T>(columns: Array<Column<T>>, rows: T[]): void {
    this.line(renderTable(columns, rows, this.colors));
  }

  pairs(pairs: Array<[string, string]>): void {
    this.line(renderPairs(pairs, this.colors));
  }

  /** A progress or status note: stderr, so stdout stays clean for pipes. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}
