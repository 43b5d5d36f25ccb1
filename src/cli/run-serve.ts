import { startDaemon, type DaemonOptions } from '../main.js';

/**
 * `berth serve`: runs the daemon in the foreground until SIGTERM/SIGINT. The first signal
 * starts a graceful stop (exit 0); a second one exits at once.
 */
export async function runServe(options: DaemonOptions): Promise<void> {
  let daemon;
  try {
    daemon = await startDaemon(options);
  } catch (error) {
    process.stderr.write(`berth: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      daemon.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    daemon.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        daemon.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
