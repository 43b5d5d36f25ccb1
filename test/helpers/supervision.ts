import type { ServiceView } from '../../src/core/supervision/supervision-types.js';
import { rawDocker } from './docker.js';
import { until } from './instances.js';
import type { TestDaemon } from './test-daemon.js';

export type Service = ServiceView & { settled?: boolean };

/** Runs argv inside a container with the raw Engine API (the test's own hand, not berth's); resolves to the exit code. */
export async function execIn(containerId: string, argv: string[]): Promise<number> {
  const exec = await rawDocker().getContainer(containerId).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
  });
  const info = await until(() => exec.inspect(), (i) => !i.Running, 10_000, 50);
  return info.ExitCode ?? -1;
}

/** Whether a pid is alive inside the container (signal 0). */
export async function pidAlive(containerId: string, pid: number): Promise<boolean> {
  return (await execIn(containerId, ['kill', '-0', String(pid)])) === 0;
}

export function serviceOf(td: TestDaemon, base: string, name: string, token?: string) {
  return td.api<Service & { error: { code: string; message: string } }>('GET', `${base}/services/${name}`, undefined, token);
}

export function act(td: TestDaemon, base: string, name: string, action: string, query = '?timeout=20') {
  return td.api<Service & { error: { code: string; message: string } }>('POST', `${base}/services/${name}/actions${query}`, { action });
}
