import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { resolveConnection, resolveDataDir, type Connection, type GlobalOptions } from './connection.js';
import { Output } from './output.js';

/** The process the CLI runs in, passed in (not read from globals) so it stays testable. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** What a command action gets: output, the connection and the API client, built on demand. */
export class CliContext {
  readonly out: Output;
  private conn: Connection | undefined;
  private api: ApiClient | undefined;

  constructor(readonly io: CliIo, readonly globals: GlobalOptions) {
    this.out = new Output(io.stdout, io.stderr, io.env);
  }

  get env(): Record<string, string | undefined> {
    return this.io.env;
  }

  connection(): Connection {
    this.conn ??= resolveConnection(this.globals, this.io.env, this.io.cwd);
    return this.conn;
  }

  client(): ApiClient {
    this.api ??= new ApiClient(this.connection());
    return this.api;
  }

  dataDir(): string {
    return resolveDataDir(this.globals, this.io.env, this.io.cwd);
  }

  /**
   * An AbortSignal that fires on Ctrl-C (SIGINT) or SIGTERM: streaming commands stop cleanly
   * and exit 0 instead of dying mid-line.
   */
  interruptSignal(): AbortSignal {
    const controller = new AbortController();
    const onSignal = (): void => controller.abort(new InterruptError());
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return controller.signal;
  }
}

export class InterruptError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptError';
  }
}

/**
 * Wraps a command handler for commander: positional arguments and the command's own options
 * in, a CliContext built from the global options (--url, --token, --data-dir).
 */
export function action<O>(io: CliIo, handler: (ctx: CliContext, args: string[], opts: O) => Promise<void>) {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals() as GlobalOptions;
    const args = command.processedArgs.flatMap((a: unknown) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
    await handler(new CliContext(io, { url: globals.url, token: globals.token, dataDir: globals.dataDir }), args, command.opts() as O);
  };
}
