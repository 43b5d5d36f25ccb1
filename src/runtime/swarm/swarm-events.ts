import type { RuntimeEvent } from '../runtime-driver.js';
import type { ClusterView } from './cluster-view.js';

/**
 * Swarm's event stream has no task events, so berth polls the manager's tasks and turns state
 * changes of each service's current task into container-like events: `start` when a task
 * runs, `die` when the running one ends or its node is lost (or a new one ended unseen between
 * two polls), `destroy` when the service goes.
 * A failed poll ends the iterable (the caller reconnects), as a dropped Docker stream does.
 */
export async function* pollTaskEvents(view: ClusterView, labels: Record<string, string>, signal: AbortSignal, pollMs: number): AsyncGenerator<RuntimeEvent> {
  const last = new Map<string, { state: string; running: boolean; labels: Record<string, string> }>();
  let first = true;
  while (!signal.aborted) {
    const services = await view.services(labels);
    await view.refresh();
    const infos = await view.describe(services);
    const now = Date.now();
    const seen = new Set<string>();
    for (const info of infos) {
      seen.add(info.id);
      const running = info.state === 'running';
      const before = last.get(info.id);
      last.set(info.id, { state: info.state, running, labels: info.labels });
      if (first) continue;
      if (!before) yield { type: 'create', containerId: info.id, labels: info.labels, exitCode: null, at: now };
      if (running && !before?.running) yield { type: 'start', containerId: info.id, labels: info.labels, exitCode: null, at: now };
      // A new task that ran and ended between two polls (never seen running) died all the same.
      const diedUnseen = before?.state === 'restarting' && info.state === 'exited' && info.exitCode !== null;
      if (!running && (before?.running || diedUnseen)) yield { type: 'die', containerId: info.id, labels: info.labels, exitCode: info.exitCode, at: now };
    }
    for (const [id, before] of last) {
      if (seen.has(id)) continue;
      last.delete(id);
      yield { type: 'destroy', containerId: id, labels: before.labels, exitCode: null, at: now };
    }
    first = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
