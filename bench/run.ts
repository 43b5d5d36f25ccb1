#!/usr/bin/env node
/**
 * `npm run bench`: berth side by side with the raw Engine API, the docker CLI and a
 * docker-compose script, in one run on one engine. Prints markdown tables, writes JSON to
 * bench/results/. Never part of `npm test`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.js';
import { CleanupRegistry } from './lib/cleanup-registry.js';
import { engineClient } from './lib/engine.js';
import { ensureCompose } from './lib/ensure-compose.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { planFor } from './lib/plan.js';
import { PortPool } from './lib/port-pool.js';
import { Report, type Section } from './lib/report.js';
import { BENCH_LABEL, TENANT, type Provisioner } from './lib/tenant-spec.js';
import type { Sides, SideName } from './lib/sides.js';
import { RawProvisioner } from './baselines/raw.js';
import { CliProvisioner } from './baselines/cli.js';
import { ComposeProvisioner } from './baselines/compose.js';
import type { BenchContext } from './baselines/bench-context.js';
import { runSequential } from './scenarios/provision-sequential.js';
import { runBurst } from './scenarios/provision-burst.js';
import { runRecover, type RecoverSide } from './scenarios/recover.js';
import { LIGHT_IMAGE, startBerthSide, type BerthSide } from './berth/berth-side.js';
import { startSwarmSide, type SwarmSide } from './berth/berth-swarm-side.js';
import { runPopulationScenarios } from './scenarios/population.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  const plan = planFor(args);
  const runId = `bench-${Date.now().toString(36).slice(-6)}${Math.random().toString(36).slice(2, 4)}`;
  const docker = engineClient();
  try {
    await docker.ping();
  } catch (error) {
    log(`no Docker engine answers (${(error as Error).message}); start one (bash scripts/ensure-docker.sh) and retry`);
    return 1;
  }
  try {
    await docker.getImage(TENANT.image).inspect();
  } catch {
    log(`image ${TENANT.image} is missing: build it with \`bash images/build-test-agent.sh\``);
    return 1;
  }

  if (args.light) {
    try {
      await docker.getImage(LIGHT_IMAGE).inspect();
    } catch {
      log(`image ${LIGHT_IMAGE} is missing: build it with \`bash images/build-light-agent.sh\``);
      return 1;
    }
  }
  const cleanup = new CleanupRegistry(docker, log);
  cleanup.label(`${BENCH_LABEL}=${runId}`);
  cleanup.installSignalHandlers();
  const workDir = mkdtempSync(path.join(tmpdir(), `${runId}-`));
  cleanup.path(workDir);

  const composeVersion = args.targets.has('compose') ? await ensureCompose(log) : undefined;
  const machine = await machineInfo(docker, composeVersion);
  const report = new Report({ runId, mode: args.mode, args: argv, startedAt: new Date().toISOString(), machine }, out);
  out(`## berth bench — ${args.mode} (run ${runId})\n\n${describeMachine(machine)}`);
  out(`- tenant: ${TENANT.image}, ${TENANT.cpus} CPU, ${TENANT.memoryBytes / 1024 / 1024} MiB, pids ${TENANT.pidsLimit}, CapDrop ALL, no-new-privileges, port on ${TENANT.bindAddress}, a workspace volume`);
  out(`- plan: ${JSON.stringify(plan)}`);
  out(`- scenarios: ${[...args.scenarios].join(', ')}; sides: ${[...args.targets].join(', ')}`);

  const ctx: BenchContext = { runId, docker, ports: new PortPool(30000, 32499), workDir, log };
  const sides: Sides = {};
  let berth: BerthSide | undefined;
  const cleanupAfter: Provisioner[] = [];
  try {
    if (args.targets.has('raw')) sides.raw = new RawProvisioner(ctx);
    if (args.targets.has('cli')) sides.cli = new CliProvisioner(ctx);
    if (args.targets.has('compose') && composeVersion) sides.compose = new ComposeProvisioner(ctx);
    if (args.targets.has('berth')) {
      berth = await startBerthSide({ ctx, root: ROOT, cleanup, probeIntervalSeconds: plan.probeIntervalSeconds });
      if (berth) sides.berth = berth.provisioner;
    }
    let swarm: SwarmSide | undefined;
    if (args.targets.has('swarm')) {
      swarm = await startSwarmSide({ ctx, root: ROOT, cleanup, probeIntervalSeconds: plan.probeIntervalSeconds, clusterDir: process.env.BERTH_SWARM_DIR ?? '/tmp/berth-swarm' });
      if (swarm) sides.swarm = swarm.provisioner;
    }
    for (const p of Object.values(sides)) await p.setup();
    const settle = async () => berth?.runtimeUp();
    const name = (prefix: string) => (side: SideName | string, i: number) => `${runId}-${side.slice(0, 3)}-${prefix}${i}`;

    // Scenario 3 deletes scenario 1's tenants; its table is printed after scenario 2's.
    let deleteSection: Section | undefined;
    if (args.scenarios.has('sequential') || args.scenarios.has('delete')) {
      log(`scenario 1+3: sequential provision and delete, N = ${plan.sequential}`);
      await guard(report, 'sequential', async () => {
        const [provision, restart, del] = (await runSequential(sides, plan.sequential, name('s'), log)).sections;
        if (provision && args.scenarios.has('sequential')) report.add(provision);
        if (restart && args.scenarios.has('sequential')) report.add(restart);
        if (args.scenarios.has('delete')) deleteSection = del;
      }, berth);
    }
    if (args.scenarios.has('burst')) {
      log(`scenario 2: burst ${plan.burst.map((l) => `N=${l.n}@c${l.concurrency}`).join(', ')}`);
      await guard(report, 'burst', async () => {
        // Not on Swarm: the test cluster's two workers share this machine's cores with everything else.
        for (const s of await runBurst({ ...sides, swarm: undefined }, plan.burst, name('b'), log, settle)) report.add(s);
      }, berth);
    }
    if (deleteSection) report.add(deleteSection);
    if (args.scenarios.has('recover')) {
      const recoverSides: RecoverSide[] = [];
      if (berth) {
        recoverSides.push({ label: 'berth (starter plan, default restart policy)', provisioner: berth.provisioner });
        recoverSides.push({ label: 'berth (plan with restart.baseDelaySeconds 0)', provisioner: berth.immediateRestart });
      }
      if (swarm) recoverSides.push({ label: 'berth on swarm (starter plan, default restart policy)', provisioner: swarm.provisioner, pidOf: (t) => (swarm as SwarmSide).pidOf(t) });
      if (args.targets.has('raw')) {
        const withPolicy = new RawProvisioner(ctx, { restartOnFailure: true, side: 'raw-restart' });
        await withPolicy.setup();
        recoverSides.push({ label: 'raw + Docker on-failure', provisioner: withPolicy });
      }
      cleanupAfter.push(...recoverSides.map((s) => s.provisioner));
      log(`scenario 4: recover, population ${plan.recoverPopulation}`);
      await guard(report, 'recover', async () => {
        report.add(await runRecover(docker, recoverSides, plan.recoverPopulation, (side, i) => `${runId}-rc${recoverSides.findIndex((s) => s.label === side)}-${i}`, log, settle));
      }, berth);
    }
    const populationScenarios = (['probe', 'reads', 'boot', 'memory'] as const).filter((s) => args.scenarios.has(s));
    if (populationScenarios.length) {
      if (!berth) log('scenarios 5–8 measure berth itself: skipped because the berth side is not part of this run');
      else await guard(report, 'population', async () => runPopulationScenarios({ berth: berth as BerthSide, ctx, plan, only: new Set(populationScenarios), report, root: ROOT, light: args.light === true }), berth);
    }
    for (const p of [...Object.values(sides), ...cleanupAfter]) await p.teardown().catch(() => undefined);
  } finally {
    log('cleaning up…');
    await cleanup.run();
    const file = report.write(path.join(ROOT, 'bench/results'));
    if (!args.noHistory) report.appendHistory(path.join(ROOT, 'bench/history.jsonl'));
    log(`results: ${path.relative(process.cwd(), file)}`);
  }
  return report.errors.length ? 1 : 0;
}

async function guard(report: Report, scenario: string, fn: () => Promise<void>, berth?: BerthSide): Promise<void> {
  try {
    await berth?.runtimeUp();
    await fn();
  } catch (error) {
    report.fail(scenario, error);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
