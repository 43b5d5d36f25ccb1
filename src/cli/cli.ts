import { Command, CommanderError } from 'commander';
import { readVersion } from '../common/version.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerSnapshotCommands } from './commands/snapshots.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerDockerCommands } from './commands/docker.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEventsCommand } from './commands/events.js';
import { registerGcCommand } from './commands/gc.js';
import { registerInstanceCommands } from './commands/instances.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerLifecycleCommands } from './commands/lifecycle.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerNodeCommands } from './commands/nodes.js';
import { registerServerCommands } from './commands/server.js';
import { registerServiceCommands } from './commands/services.js';
import { registerStatsCommand } from './commands/stats.js';
import { registerTokenCommands } from './commands/token.js';
import { registerUiCommand } from './commands/ui.js';
import { registerTenantCommands } from './commands/tenants.js';
import { registerUpgradeCommands } from './commands/upgrade.js';
import { registerRolloutCommands } from './commands/rollout.js';
import { registerWorkspaceCommands } from './commands/workspaces.js';
import { InterruptError, processIo, type CliIo } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { makeColors, colorWanted } from './output.js';

const EXAMPLES = `
Examples:
  berth server start                      start the daemon in the background
  berth create acme --plan starter --wait create an instance and wait until it is healthy
  berth ls                                list instances
  berth logs acme -f                      follow an instance's logs
  berth restart acme --wait               restart and wait until healthy again
  berth rm acme --yes                     delete an instance and its workspace
  berth ls --json | jq '.items[].name'    every command has --json for scripts

Connection: --url, BERTH_URL, the address \`berth server start\` recorded in <data dir>/berth.url,
BERTH_HOST/BERTH_PORT, else http://127.0.0.1:8081; token from --token /
BERTH_TOKEN / <data dir>/admin.token (data dir: --data-dir / BERTH_DATA_DIR / ./data).
Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 unavailable.`;

/** The `berth` command tree. Commands talk to the daemon over HTTP, except `serve`. */
export function buildCli(io: CliIo = processIo()): Command {
  const program = new Command('berth')
    .description('Run AI-agent runtimes in containers, one or more per tenant, and keep them alive.')
    .version(readVersion(), '-V, --version')
    .option('--url <url>', 'berth API URL (env BERTH_URL; default: where `server start` recorded it, BERTH_HOST/BERTH_PORT, or http://127.0.0.1:8081)')
    .option('--token <token>', 'API token (env BERTH_TOKEN, default: the admin token in the data dir)')
    .option('--data-dir <dir>', 'local data dir (env BERTH_DATA_DIR, default ./data)')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(add --help for usage)')
    // Subcommand help lists --url, --token and --data-dir too: they work after any command.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  registerServerCommands(program, io);
  registerInstanceCommands(program, io);
  registerLifecycleCommands(program, io);
  registerLogsCommand(program, io);
  registerStatsCommand(program, io);
  registerEventsCommand(program, io);
  registerDockerCommands(program, io);
  registerServiceCommands(program, io);
  registerTokenCommands(program, io);
  registerTenantCommands(program, io);
  registerWorkspaceCommands(program, io);
  registerJobCommands(program, io);
  registerGcCommand(program, io);
  registerBackupCommands(program, io);
  registerSnapshotCommands(program, io);
  registerNodeCommands(program, io);
  registerDoctorCommand(program, io);
  registerCompletionCommand(program, io);
  registerUiCommand(program, io);
  registerUpgradeCommands(program, io);
  registerRolloutCommands(program, io);
  return program;
}

/** Runs the CLI and returns the exit code; errors become one line on stderr, never a stack. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (error) {
    return reportError(error, io);
  }
}

export function reportError(error: unknown, io: CliIo): number {
  const colors = makeColors(colorWanted(io.stderr, io.env));
  if (error instanceof CommanderError) {
    // commander has already printed its message (and help when asked for).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return ExitCode.OK;
    return ExitCode.USAGE;
  }
  if (error instanceof InterruptError) return ExitCode.OK;
  if (error instanceof CliError) {
    io.stderr.write(`${colors.red('error:')} ${error.message}\n`);
    if (error.hint) io.stderr.write(`${colors.dim(`hint: ${error.hint}`)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${colors.red('error:')} ${message}\n`);
  if (io.env.BERTH_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return ExitCode.ERROR;
}
