import type { RuntimeEvent } from '../runtime/runtime-driver.js';

/** Enough for a rotated Podman log's half (about 1,300 events of every kind, berth's among them). */
export const REMEMBERED_EVENTS = 10_000;

/**
 * Recognises events an engine sends a second time on one stream. Podman's file event log,
 * when it rotates (past 1 MB by default), sends its retained half again: events from seconds
 * to hours ago, already acted on. A replay is the very same event (type, container, time)
 * as one received before. Time alone does not decide: a host clock stepped back would
 * otherwise hide every new event until it caught up.
 */
export class ReplayFilter {
  private readonly seen = new Set<string>();
  skipped = 0;

  isReplay(event: RuntimeEvent): boolean {
    if (event.at <= 0) return false; // nothing to tell two events apart by
    const key = `${event.type} ${event.containerId} ${event.at}`;
    if (this.seen.has(key)) {
      this.skipped++;
      return true;
    }
    this.seen.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (this.seen.size > REMEMBERED_EVENTS) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }

  takeSkipped(): number {
    const n = this.skipped;
    this.skipped = 0;
    return n;
  }
}
