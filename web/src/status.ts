import type { Instance, InstanceStatus } from './api/client';

export const STATUSES: InstanceStatus[] = ['creating', 'starting', 'running', 'unhealthy', 'restarting', 'stopping', 'stopped', 'crashloop', 'failed', 'deleting', 'upgrading'];

/** Needs a human: shown first and counted in red. */
export const ATTENTION = new Set<InstanceStatus>(['unhealthy', 'crashloop', 'failed']);

export function tone(status: InstanceStatus): 'bad' | 'ok' | 'busy' | 'off' {
  if (ATTENTION.has(status)) return 'bad';
  if (status === 'running') return 'ok';
  if (status === 'stopped') return 'off';
  return 'busy';
}

export function rank(i: Instance): number {
  return ATTENTION.has(i.status) ? 0 : i.status === 'running' ? 2 : 1;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function uptime(i: Instance, now = Date.now()): string {
  if (!i.startedAt || i.status === 'stopped' || i.status === 'failed') return '—';
  return ago(i.startedAt, now).replace(' ago', '');
}
