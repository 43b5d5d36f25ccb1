import { randomBytes } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { BerthError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { KeyedLock } from './keyed-lock.js';

/** Per-instance locks in the store, shared by every berth process on it (Postgres). */
export interface InstanceLockStore {
  tryAcquire(instanceId: string, holder: string, owner: string, ttlMs: number): Promise<boolean>;
  renew(instanceId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(instanceId: string, owner: string): Promise<void>;
  holderOf(instanceId: string): Promise<string | undefined>;
}

/** The lock port the instances service and other features (upgrades, snapshots) call. */
export interface InstanceLock {
  /** Runs `fn` holding the instance's lock; waits for it a bounded time, then INSTANCE_BUSY. */
  run<T>(instanceId: string, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` only if nobody holds the lock; undefined (here) or INSTANCE_BUSY (in another process) otherwise. */
  tryRun<T>(instanceId: string, fn: () => Promise<T>): Promise<T> | undefined;
}

export interface InstanceLocksOptions {
  local: KeyedLock;
  /** Absent (SQLite, one process): the in-process lock is the whole story. */
  store?: InstanceLockStore;
  /** Names this process in the lock row (cluster.processId). */
  holder: string;
  /** A held lock is renewed every third of this; a dead holder's lock frees itself after it. */
  ttlMs: number;
  /** How long `run` waits for another process's lock before INSTANCE_BUSY. */
  waitMs: number;
  clock: Clock;
  logger: Logger;
  /** How often a waiter asks again. */
  retryMs?: number;
}

/**
 * One action per instance at a time, across berth processes: the in-process lock first (so a
 * process never races itself), then a row in the store's instance_locks. An API caller waits
 * up to cluster.lockWaitSeconds for another process's action to end, then gets 409 INSTANCE_BUSY.
 */
export class InstanceLocks implements InstanceLock {
  constructor(private readonly o: InstanceLocksOptions) {}

  /** The port under the name other features use. */
  withInstanceLock<T>(instanceId: string, fn: () => Promise<T>): Promise<T> {
    return this.run(instanceId, fn);
  }

  run<T>(instanceId: string, fn: () => Promise<T>): Promise<T> {
    return this.o.local.run(instanceId, () => this.held(instanceId, fn, this.o.waitMs));
  }

  tryRun<T>(instanceId: string, fn: () => Promise<T>): Promise<T> | undefined {
    return this.o.local.tryRun(instanceId, () => this.held(instanceId, fn, 0));
  }

  private async held<T>(instanceId: string, fn: () => Promise<T>, waitMs: number): Promise<T> {
    const store = this.o.store;
    if (!store) return fn();
    const owner = `${this.o.holder}#${randomBytes(6).toString('hex')}`;
    const until = this.o.clock.now() + waitMs;
    while (!(await store.tryAcquire(instanceId, this.o.holder, owner, this.o.ttlMs))) {
      if (this.o.clock.now() >= until) {
        const holder = await store.holderOf(instanceId).catch(() => undefined);
        throw new BerthError('INSTANCE_BUSY', `instance ${instanceId} is busy: ${holder ? `berth process ${holder} is` : 'another berth process is'} acting on it; try again shortly`, { details: { instanceId, ...(holder ? { holder } : {}) } });
      }
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, this.o.retryMs ?? 200));
    }
    // Renewed while held: a slow engine call must not let the lock lapse under it.
    let renewing = true;
    const renew = (): void => {
      const timer = this.o.clock.setTimeout(() => {
        if (!renewing) return;
        store.renew(instanceId, owner, this.o.ttlMs).then((kept) => {
          if (!kept) this.o.logger.warn({ instance: instanceId }, 'instance lock lapsed while held');
        }, (error: unknown) => this.o.logger.warn({ instance: instanceId, reason: describeError(error) }, 'could not renew an instance lock'))
          .finally(() => renewing && renew());
      }, Math.max(100, Math.floor(this.o.ttlMs / 3)));
      timer.unref?.();
    };
    renew();
    try {
      return await fn();
    } finally {
      renewing = false;
      await store.release(instanceId, owner).catch((error: unknown) => this.o.logger.warn({ instance: instanceId, reason: describeError(error) }, 'could not release an instance lock; it expires by itself'));
    }
  }
}
