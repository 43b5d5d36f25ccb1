import { startDaemon, type DaemonOptions } from '../main.js';

/** Beyond the grace period, time for services to stop before the process gives up on them. */
const STOP_MARGIN_SECONDS = 15;

/**
 * `berth serve`: runs the daemon in the foreground until SIGTERM/SIGINT. The first signal
 * starts a graceful stop (exit 0); a second one exits at once, and so does a stop still
 * unfinished STOP_MARGIN_SECONDS past the grace period (exit 1).
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
    // A stop that hangs (an engine call that never returns) must not keep the process alive:
    // supervisors wait for the exit, and the log says what it was still waiting for.
    const deadlineMs = (daemon.config.server.shutdownGraceSeconds + STOP_MARGIN_SECONDS) * 1000;
    setTimeout(() => {
      daemon.logger.error({ waitingFor: daemon.stopStage(), afterMs: deadlineMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, deadlineMs).unref();
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
