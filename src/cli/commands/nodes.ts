import type { Command } from 'commander';
import type { ClusterNode } from '../api-types.js';
import { action, type CliIo } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes } from '../format.js';

type NodeView = ClusterNode;

interface LoadResult {
  image: string;
  nodes: Array<{ node: string; result: string; error?: string }>;
}

/** `berth nodes`: the Swarm cluster's nodes (runtime.driver swarm), drain/activate, load an image. */
export function registerNodeCommands(program: Command, io: CliIo): void {
  const nodes = program.command('nodes')
    .description('List the cluster nodes (runtime.driver swarm); drain, activate, load an image')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', `
Examples:
  berth nodes
  berth nodes drain worker-2
  berth nodes activate worker-2
  berth nodes load-image berth/test-agent:local`)
    .action(action(io, async (ctx, _args, opts: { json?: boolean }) => {
      const list = await ctx.client().get<{ items: NodeView[] }>('/v1/nodes');
      if (opts.json) return ctx.out.json(list);
      const c = ctx.out.colors;
      ctx.out.table([
        { header: 'hostname', value: (n: NodeView) => n.hostname },
        { header: 'role', value: (n: NodeView) => `${n.role}${n.leader ? ' (leader)' : ''}` },
        { header: 'state', value: (n: NodeView) => (n.state === 'ready' ? c.green(n.state) : c.red(n.state)) },
        { header: 'availability', value: (n: NodeView) => n.availability },
        { header: 'address', value: (n: NodeView) => n.address ?? '-' },
        { header: 'cpus', value: (n: NodeView) => String(n.cpus) },
        { header: 'memory', value: (n: NodeView) => formatBytes(n.memoryBytes) },
        { header: 'instances', value: (n: NodeView) => String(n.instances) },
        { header: 'engine', value: (n: NodeView) => `${n.engineVersion ?? '-'} (${n.engine})` },
        { header: 'labels', value: (n: NodeView) => Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-' },
      ], list.items);
    }));

  // `--json` after a subcommand is parsed by `nodes`, which has the option too.
  const parentJson = (): boolean => (nodes.opts() as { json?: boolean }).json === true;
  for (const verb of ['drain', 'activate'] as const) {
    nodes.command(`${verb} <node>`)
      .description(verb === 'drain' ? 'Drain a node: Swarm stops its tasks and berth restarts its instances on other nodes' : 'Make a drained node active again')
      .addHelpText('after', `\nExamples:\n  berth nodes ${verb} worker-2\n  berth nodes ${verb} <node id> --json`)
      .option('--json', 'print the API response as JSON')
      .action(action(io, async (ctx, args: string[], opts: { json?: boolean }) => {
        const node = await ctx.client().post<NodeView>(`/v1/nodes/${encodeURIComponent(args[0]!)}/actions`, { action: verb });
        if (opts.json || parentJson()) return ctx.out.json(node);
        ctx.out.line(`${ctx.out.colors.green('✓')} ${node.hostname} is ${node.availability}`);
      }));
  }

  nodes.command('load-image <image>')
    .description("Copy an image from the manager's engine to every node engine in swarm.nodeEngines (no registry needed)")
    .addHelpText('after', '\nExamples:\n  berth nodes load-image berth/test-agent:local\n  berth nodes load-image acme/agent:1.4 --json')
    .option('--json', 'print the API response as JSON')
    .action(action(io, async (ctx, args: string[], opts: { json?: boolean }) => {
      const image = args[0]!;
      const json = opts.json || parentJson();
      if (!json) ctx.out.note(`loading ${image} onto the nodes (docker save | docker load, may take a while) …`);
      const result = await ctx.client().post<LoadResult>('/v1/nodes/load-image', { image }, undefined, { timeoutMs: 15 * 60_000 });
      if (json) return ctx.out.json(result);
      const c = ctx.out.colors;
      for (const n of result.nodes) {
        ctx.out.line(`${n.result === 'failed' ? c.red('✗') : c.green('✓')} ${n.node}: ${n.result}${n.error ? ` (${n.error})` : ''}`);
      }
      if (result.nodes.some((n) => n.result === 'failed')) throw new CliError('some nodes did not get the image', ExitCode.ERROR);
    }));
}
