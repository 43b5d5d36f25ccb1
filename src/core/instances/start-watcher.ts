/**
 * The health judge as the instance domain sees it: told when a container was just started, it
 * probes the instance at once and then quickly until the first healthy answer (moving it to
 * `running`). The monitor implements it; core only asks.
 */
export interface StartWatcher {
  watch(id: string): void;
  /** The instance is being stopped, restarted or deleted: stop probing this run. */
  cancel(id: string): void;
}

/** Instances are built before the monitor: calls go to whichever judge is attached (none: dropped). */
export class StartWatcherSlot implements StartWatcher {
  private target: StartWatcher | undefined;

  attach(target: StartWatcher): void {
    this.target = target;
  }

  watch(id: string): void {
    this.target?.watch(id);
  }

  cancel(id: string): void {
    this.target?.cancel(id);
  }
}
