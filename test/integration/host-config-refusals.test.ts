import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBerth, type DaemonProcess } from '../helpers/daemon-process.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { uniqueScope } from '../helpers/test-daemon.js';

const procs: DaemonProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function configFile(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'berth-refuse-')), 'berth.yml');
  writeFileSync(file, yaml);
  return file;
}

describe(`berth serve refuses config that breaks a promise (${testEnv.store})`, () => {
  it('exits non-zero with one line naming the key, before touching the engine', async () => {
    const scope = uniqueScope('refuse');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ BERTH_BIND_ADDRESS: '0.0.0.0' }, /runtime\.bindAddress = "0\.0\.0\.0": .*runtime\.publicBind/],
      [{ BERTH_CONFIG: configFile('runtime:\n  user: "0:0"\n') }, /runtime\.user = "0:0": .*allowRootUser/],
      [{ BERTH_CONFIG: configFile('runtime:\n  mounts:\n    - { source: /run, target: /host-run }\n') }, /runtime\.mounts\.0\.source = \/run: .*never get it/],
    ];
    for (const [env, pattern] of cases) {
      const p = spawnBerth(['serve'], { BERTH_SCOPE: scope, ...env });
      procs.push(p);
      const exit = await p.exited;
      expect(exit.code).not.toBe(0);
      const lines = p.output().trim().split('\n');
      expect(lines, p.output()).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
    // Nothing was made for the scope: the refusal came before the runtime phase.
    const networks = await rawDocker().listNetworks({ filters: { label: [`berth.scope=${scope}`] } });
    expect(networks).toEqual([]);
  });

  it('boots when each is loosened on purpose', async () => {
    const p = spawnBerth(['serve'], { BERTH_SCOPE: uniqueScope('loose'), BERTH_CONFIG: configFile('runtime:\n  bindAddress: "0.0.0.0"\n  publicBind: true\n  user: "0"\n  allowRootUser: true\n') });
    procs.push(p);
    await p.waitReady(45_000);
    p.child.kill('SIGTERM');
    // serve gives up 15 s past its 15 s grace period; each wait is bounded and shows the log.
    expect((await p.exitedWithin(45_000)).code).toBe(0);
  });
});
