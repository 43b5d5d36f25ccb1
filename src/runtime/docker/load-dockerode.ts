import { createRequire, Module } from 'node:module';
import type Dockerode from 'dockerode';

/**
 * dockerode requires gRPC and protobuf (for BuildKit sessions) and ssh2 (for ssh:// engines)
 * as it is imported: about a third of berth's empty boot and ~7 MiB of resident memory, for
 * two features berth never uses. Those two modules are put in the require cache first as
 * stand-ins that load the real module on first call, so dockerode still works if anything
 * ever reaches them, and nothing is loaded otherwise.
 */
function deferFunctionModule(require: NodeJS.Require, id: string): void {
  const file = require.resolve(id);
  if (require.cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete require.cache[file];
      real = require(file) as (...a: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[file] = standIn;
}

const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
deferFunctionModule(fromDockerode, './session.js');
deferFunctionModule(createRequire(fromDockerode.resolve('docker-modem')), './ssh.js');

/** The dockerode class, loaded without its gRPC and ssh2 trees. */
export const Docker = fromDockerode('./docker.js') as typeof Dockerode;
