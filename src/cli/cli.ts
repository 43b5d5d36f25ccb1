import { Command } from 'commander';
import { readVersion } from '../common/version.js';
import { runServe } from '../daemon/run-serve.js';

/** The `berth` command tree. Commands talk to the daemon over HTTP, except `serve`. */
export function buildCli(): Command {
  const program = new Command('berth')
    .description('Run AI-agent runtimes in containers, one or more per tenant, and keep them alive.')
    .version(readVersion());

  program
    .command('serve')
    .description('Run the berth daemon in the foreground')
    .option('-c, --config <file>', 'YAML config file (default: $BERTH_CONFIG or ./berth.yml)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', 'listen port (default 8081)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace')
    .addHelpText('after', '\nExamples:\n  berth serve\n  BERTH_PORT=9000 berth serve --data-dir /var/lib/berth\n  DATABASE_URL=postgres://berth@db/berth berth serve')
    .action(async (opts: { config?: string; host?: string; port?: string; dataDir?: string; logLevel?: string }) => {
      await runServe({
        env: process.env,
        ...(opts.config ? { configPath: opts.config } : {}),
        flags: { 'server.host': opts.host, 'server.port': opts.port, dataDir: opts.dataDir, 'log.level': opts.logLevel },
      });
    });

  return program;
}
