import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import type { BerthEvent } from '../../src/core/events/event-log.js';
import type { TestDaemon } from './test-daemon.js';

/** /metrics through a real Prometheus text-format parser, by family name. */
export async function scrape(td: TestDaemon): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${td.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
}

/** The value of one sample of a counter or gauge, matching `labels`; 0 when absent. */
export function sample(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const match = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return match?.value === undefined ? 0 : Number(match.value);
}

/** An instance's events, oldest first. */
export async function eventsOf(td: TestDaemon, idOrName: string): Promise<BerthEvent[]> {
  const res = await td.api<{ items: BerthEvent[] }>('GET', `/v1/instances/${idOrName}/events?limit=500`);
  if (res.status !== 200) throw new Error(`events of ${idOrName}: ${res.status} ${JSON.stringify(res.body)}`);
  return [...res.body.items].sort((a, b) => a.id - b.id);
}

export const types = (events: BerthEvent[]): string[] => events.map((e) => e.type);
