import os from 'node:os';
import type Docker from 'dockerode';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  freeMemoryBytes: number;
  kernel: string;
  node: string;
  engineVersion: string;
  engineApiVersion: string;
  storageDriver: string;
  cgroup: string;
  /** null: not installed; undefined: not used in this run. */
  composeVersion: string | null | undefined;
}

/** What the figures were measured on: printed above the tables and stored with the JSON. */
export async function machineInfo(docker: Docker, composeVersion: string | null | undefined): Promise<MachineInfo> {
  const version = await docker.version();
  const info = (await docker.info()) as { Driver?: string; CgroupVersion?: string; CgroupDriver?: string };
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    engineVersion: version.Version,
    engineApiVersion: version.ApiVersion,
    storageDriver: info.Driver ?? 'unknown',
    cgroup: `v${info.CgroupVersion ?? '?'} (${info.CgroupDriver ?? '?'})`,
    composeVersion,
  };
}

export function describeMachine(m: MachineInfo): string {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  return [
    `- machine: ${m.cores} cores (${m.cpuModel}), ${gib(m.memoryBytes)} memory (${gib(m.freeMemoryBytes)} free at start), ${m.kernel}`,
    `- engine: Docker ${m.engineVersion} (API ${m.engineApiVersion}), storage ${m.storageDriver}, cgroup ${m.cgroup}`,
    `- node ${m.node}; docker-compose ${m.composeVersion === undefined ? '(not used in this run)' : (m.composeVersion ?? 'not installed')}`,
  ].join('\n');
}
