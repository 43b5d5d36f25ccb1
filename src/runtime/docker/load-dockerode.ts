import { createRequire } from 'node:module';
import { deferFunctionModule } from '../../common/deferred-modules.js';
import type Dockerode from 'dockerode';

/**
 * dockerode requires gRPC and protobuf (for BuildKit sessions) and ssh2 (for ssh:// engines)
 * as it is imported: about a third of berth's empty boot and ~7 MiB of resident memory, for
 * two features berth never uses. Those two modules are put in the require cache first as
 * stand-ins that load the real module on first call, so dockerode still works if anything
 * ever reaches them, and nothing is loaded otherwise.
 */
const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
deferFunctionModule(fromDockerode, './session.js');
deferFunctionModule(createRequire(fromDockerode.resolve('docker-modem')), './ssh.js');

/** The dockerode class, loaded without its gRPC and ssh2 trees. */
export const Docker = fromDockerode('./docker.js') as typeof Dockerode;
