import type { Colors } from './output.js';

/** "3s", "5m", "2h", "4d": how long ago an ISO time was, as `docker ps` shows it. */
export function formatAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '-';
  return formatDuration(Math.max(0, now - then));
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return `${value.toFixed(2)}%`;
}

const GOOD = new Set(['running', 'up', 'ok', 'healthy']);
const BUSY = new Set(['creating', 'starting', 'restarting', 'stopping', 'deleting', 'unhealthy', 'created', 'paused', 'degraded', 'warn']);
const BAD = new Set(['crashloop', 'failed', 'dead', 'down', 'fail', 'exited', 'error']);

/** Instance, container and check states in the colour a person expects. */
export function paintStatus(status: string, colors: Colors): string {
  if (GOOD.has(status)) return colors.green(status);
  if (BUSY.has(status)) return colors.yellow(status);
  if (BAD.has(status)) return colors.red(status);
  return status;
}
