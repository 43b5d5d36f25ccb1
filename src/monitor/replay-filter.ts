import type { RuntimeEvent } from '../runtime/runtime-driver.js';

/** Engines stamp events as they publish them; a few seconds out of order is not a replay. */
export const REPLAY_SLACK_MS = 5000;
const REMEMBERED = 2048;

/**
 * Recognises events an engine sends a second time on one stream. Podman's file event log,
 * when it rotates (past 1 MB by default), sends its retained half again: events from seconds
 * to hours ago, already acted on. One is a replay when it is far older than the newest seen,
 * or when the very same event (type, container, time) was among the recent ones.
 */
export class ReplayFilter {
  private newest = 0;
  private readonly recent = new Set<string>();
  skipped = 0;

  isReplay(event: RuntimeEvent): boolean {
    if (event.at <= 0) return false; // no time to judge by
    const key = `${event.type} ${event.containerId} ${event.at}`;
    if (event.at < this.newest - REPLAY_SLACK_MS || this.recent.has(key)) {
      this.skipped++;
      return true;
    }
    this.newest = Math.max(this.newest, event.at);
    this.recent.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (this.recent.size > REMEMBERED) this.recent.delete(this.recent.values().next().value as string);
    return false;
  }

  takeSkipped(): number {
    const n = this.skipped;
    this.skipped = 0;
    return n;
  }
}
