import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, type CliSandbox } from '../helpers/cli.js';
import { rawDocker, removeScope } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { uniqueScope } from '../helpers/test-daemon.js';

interface Orphans {
  containers: Array<{ name: string; reason: string }>;
  volumes: Array<{ name: string }>;
  keptVolumes: Array<{ name: string; instanceName: string }>;
  networks: Array<{ name: string }>;
}

const docker = rawDocker();
const exists = {
  container: async (name: string) => (await docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } })).length > 0,
  volume: async (name: string) => ((await docker.listVolumes({ filters: { name: [name] } })).Volumes ?? []).some((v) => v.Name === name),
  network: async (name: string) => (await docker.listNetworks({ filters: { name: [name] } })).some((n) => n.Name === name),
};

describe(`berth gc (${testEnv.store})`, () => {
  let box: CliSandbox;
  const otherScope = uniqueScope('cli-other');
  const suffix = Math.random().toString(36).slice(2, 8);
  const names = { orphan: `berth-gc-orphan-${suffix}`, stranger: `berth-gc-unlabelled-${suffix}`, neighbour: `berth-gc-neighbour-${suffix}` };
  let strayNetwork: string;
  let oldVolume = '';

  beforeAll(async () => {
    box = await cliSandbox();
    strayNetwork = `berth-${box.scope}-stray-ghost`;
    // The daemon's periodic pass is pushed out of the way so what gc shows is gc's own finding.
    const config = path.join(box.dataDir, 'berth.yml');
    writeFileSync(config, 'monitor:\n  reconcileIntervalSeconds: 3600\n');
    const start = await box.berth(['server', 'start', '--config', config]);
    expect(start.code, start.stderr).toBe(0);
    for (const args of [['create', 'keeper', '--wait'], ['create', 'old', '--wait'], ['rm', 'old', '--yes', '--keep-data']]) {
      const r = await box.berth(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }

    const make = (name: string, labels: Record<string, string>) => docker.createContainer({ name, Image: testEnv.image, Labels: labels, HostConfig: { CapDrop: ['ALL'] } });
    // An orphan: berth's labels and scope, an instance that has no row.
    await make(names.orphan, { 'berth.managed': 'true', 'berth.scope': box.scope, 'berth.instance': 'ins_gone', 'berth.tenant': 'ghost' });
    // Never berth's business: no labels at all, or another berth's scope.
    await make(names.stranger, { 'test.cleanup': box.scope });
    await make(names.neighbour, { 'berth.managed': 'true', 'berth.scope': otherScope, 'berth.kind': 'instance', 'berth.instance': 'ins_gone' });
    // A tenant network that no instance uses.
    await docker.createNetwork({ Name: strayNetwork, Labels: { 'berth.managed': 'true', 'berth.scope': box.scope, 'berth.kind': 'network', 'berth.tenant': 'ghost' } });
  });

  afterAll(async () => {
    await box.berth(['server', 'stop']);
    for (const name of [names.stranger, names.neighbour, names.orphan]) await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
    await removeScope(otherScope);
    await box.cleanup();
  });

  it('--dry-run lists the orphans and removes nothing; gc removes them; unlabelled and other-scope objects are untouched', async () => {
    const dry = await box.berth(['gc', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.split('\n')[0]).toMatch(/^KIND\s+NAME\s+STATE\s+TENANT\s+REASON$/);
    expect(dry.stdout).toMatch(new RegExp(`container\\s+${names.orphan}\\s+created\\s+ghost\\s+instance ins_gone has no row`));
    expect(dry.stdout).toMatch(new RegExp(`network\\s+${strayNetwork}\\s+-\\s+ghost`));
    expect(dry.stdout).toMatch(new RegExp(`volume\\s+berth-${box.scope}-ws-ins_[0-9a-z]+\\s+kept\\s+old\\s+kept when old was deleted \\(add --volumes\\)`));
    expect(dry.stdout).toContain('2 to remove; run `berth gc` to remove them');
    for (const never of [names.stranger, names.neighbour, 'keeper']) expect(dry.stdout).not.toContain(never);

    const json = JSON.parse((await box.berth(['gc', '--dry-run', '--json'])).stdout) as Orphans;
    expect(json.containers.map((c) => c.name)).toEqual([names.orphan]);
    expect(json.networks.map((n) => n.name)).toEqual([strayNetwork]);
    expect(json.keptVolumes.map((v) => v.instanceName)).toEqual(['old']);
    oldVolume = json.keptVolumes[0]!.name;
    expect(oldVolume).toMatch(new RegExp(`^berth-${box.scope}-ws-ins_`));
    expect(json.volumes).toEqual([]);
    expect(await exists.container(names.orphan)).toBe(true);

    const gc = await box.berth(['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`✓ removed container ${names.orphan}`);
    expect(gc.stdout).toContain(`✓ removed network ${strayNetwork}`);
    expect(gc.stdout).toContain(`kept workspace volume ${oldVolume}`);
    expect(await exists.container(names.orphan)).toBe(false);
    expect(await exists.network(strayNetwork)).toBe(false);
    expect(await exists.volume(oldVolume)).toBe(true);
    expect(await exists.container(names.stranger)).toBe(true);
    expect(await exists.container(names.neighbour)).toBe(true);
    const keeper = await box.berth(['show', 'keeper', '--json']);
    expect(JSON.parse(keeper.stdout)).toMatchObject({ status: 'running' });

    const events = await box.berth(['events', '--json']);
    expect(events.stdout).toContain(`gc removed orphaned container ${names.orphan}`);
  });

  it('gc --volumes also removes workspaces kept by rm --keep-data', async () => {
    const gc = await box.berth(['gc', '--volumes', '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    const result = JSON.parse(gc.stdout) as { removed: { volumes: Array<{ name: string }> }; kept: unknown[]; failed: unknown[] };
    expect(result.removed.volumes.map((v) => v.name)).toEqual([oldVolume]);
    expect(result.kept).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(await exists.volume(oldVolume)).toBe(false);
    const keeperId = (JSON.parse((await box.berth(['show', 'keeper', '--json'])).stdout) as { id: string }).id;
    expect(await exists.volume(`berth-${box.scope}-ws-${keeperId}`)).toBe(true);

    const after = await box.berth(['gc', '--dry-run']);
    expect(after.stdout.trim()).toBe('no orphans');
    expect(await exists.container(names.stranger)).toBe(true);
  });

  it('with every instance gone, gc offers the shared network too; a dry run that finds only kept volumes says so', async () => {
    const shared = `berth-shared-${box.scope}`;
    expect(await exists.network(shared)).toBe(true);
    const rm = await box.berth(['rm', 'keeper', '--yes', '--wait', '--keep-data']);
    expect(rm.code, rm.stderr).toBe(0);

    const dry = await box.berth(['gc', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`network\\s+${shared}\\s+-\\s+-\\s+shared network; no instance uses it`));
    expect(dry.stdout).toContain('1 to remove; run `berth gc` to remove it');
    const gc = await box.berth(['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`✓ removed network ${shared}`);
    expect(await exists.network(shared)).toBe(false);

    const only = await box.berth(['gc', '--dry-run']);
    expect(only.stdout).toMatch(new RegExp(`volume\\s+berth-${box.scope}-ws-ins_\\w+\\s+kept\\s+keeper`));
    expect(only.stdout).toContain('nothing to remove; kept workspace volumes stay unless you run `berth gc --volumes`');
    expect(only.stdout).not.toContain('0 to remove');

    // The next create makes the shared network again.
    const again = await box.berth(['create', 'again', '--wait']);
    expect(again.code, again.stderr).toBe(0);
    expect(await exists.network(shared)).toBe(true);
  });
});
