/** Command-line options of `npm run bench`. */
export const SCENARIOS = ['sequential', 'burst', 'delete', 'recover', 'probe', 'reads', 'boot', 'memory'] as const;
/** swarm: berth on runtime.driver swarm, against the test cluster (scripts/swarm-cluster.sh up); skipped when it is not up. */
export const TARGETS = ['berth', 'swarm', 'raw', 'cli', 'compose'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type Target = (typeof TARGETS)[number];

export interface BenchArgs {
  mode: 'quick' | 'full';
  scenarios: Set<Scenario>;
  targets: Set<Target>;
  /** Overrides every tenant count (still capped by what memory allows). */
  count?: number;
  /** The population (scenarios 5–8) runs the light agent (busybox httpd) instead of the node test agent. */
  light?: boolean;
  /** Leave bench/history.jsonl alone (a trial run). */
  noHistory?: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick | --full] [--only <list>] [--count N]

  --quick        a few minutes: small counts (default is --full)
  --full         the issue's counts (up to 500 tenants): takes long, starves other work on a small machine
  --only <list>  comma-separated scenarios and/or sides:
                   scenarios: ${SCENARIOS.join(', ')}
                   sides:     ${TARGETS.join(', ')}
                 e.g. --only raw,cli,compose (baselines only), --only berth,reads
  --count N      tenant count for every scenario instead of the mode's default
  --light        scenarios 5–8 populate with berth/light-agent:local (busybox httpd, ~1 MiB a
                 tenant; build it with bash images/build-light-agent.sh) instead of the node agent
  --no-history   do not add this run to bench/history.jsonl (what npm run bench:compare reads)
`;

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { mode: 'full', scenarios: new Set(SCENARIOS), targets: new Set(TARGETS), help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    switch (flag) {
      case '--quick': args.mode = 'quick'; break;
      case '--full': args.mode = 'full'; break;
      case '-h': case '--help': args.help = true; break;
      case '--no-history': args.noHistory = true; break;
      case '--light': args.light = true; break;
      case '--count': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) fail('--count must be a positive integer');
        args.count = n;
        break;
      }
      case '--only': {
        const items = value().split(',').map((s) => s.trim()).filter(Boolean);
        const scenarios = items.filter((s): s is Scenario => (SCENARIOS as readonly string[]).includes(s));
        const targets = items.filter((s): s is Target => (TARGETS as readonly string[]).includes(s));
        const unknown = items.filter((s) => !(SCENARIOS as readonly string[]).includes(s) && !(TARGETS as readonly string[]).includes(s));
        if (unknown.length) fail(`--only: unknown ${unknown.join(', ')}`);
        if (scenarios.length) args.scenarios = new Set(scenarios);
        if (targets.length) args.targets = new Set(targets);
        break;
      }
      default: fail(`unknown option ${arg}`);
    }
  }
  return args;
}

function fail(message: string): never {
  throw new Error(`${message}\n\n${USAGE}`);
}
