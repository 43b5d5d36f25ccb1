import type { Command } from 'commander';
import type { DockerContainer } from '../api-types.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { formatAge, paintStatus } from '../format.js';
import { integer, seconds } from '../parse-args.js';

type Container = DockerContainer;

const path = (name: string): string => `/v1/docker/containers/${encodeURIComponent(name)}`;

function showContainer(ctx: CliContext, c: Container): void {
  const colors = ctx.out.colors;
  ctx.out.pairs([
    ['name', c.name],
    ['id', c.id.slice(0, 12)],
    ['image', c.image],
    ['state', paintStatus(c.state, colors)],
    ['health', c.health ?? '-'],
    ['created', c.createdAt ?? '-'],
    ['started', c.startedAt ?? '-'],
    ['finished', c.finishedAt && !c.finishedAt.startsWith('0001') ? c.finishedAt : '-'],
    ['exit code', c.exitCode === null ? '-' : String(c.exitCode)],
    ['oom killed', c.oomKilled ? colors.red('yes') : 'no'],
    ['restarts', String(c.restartCount)],
    ['ports', c.ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}`).join(', ') || '-'],
  ]);
}

/** `berth docker …`: the admin passthrough to the engine, through the daemon. */
export function registerDockerCommands(program: Command, io: CliIo): void {
  const docker = program.command('docker').description('Engine passthrough (admin): ps, status, start, stop, restart, logs of any container')
    .addHelpText('after', '\nThese go through the daemon\'s /v1/docker API, not the local docker CLI.\n\nExamples:\n  berth docker ps --all\n  berth docker status postgres\n  berth docker restart nginx --timeout 5\n  berth docker logs nginx --tail 20');

  docker.command('ps')
    .description('List containers on the engine')
    .option('-a, --all', 'include stopped containers')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth docker ps\n  berth docker ps --all --json | jq -r \'.items[].name\'')
    .action(action(io, async (ctx, _args, opts: { all?: boolean; json?: boolean }) => {
      const res = await ctx.client().get<{ items: Container[]; total: number }>('/v1/docker/containers', { all: opts.all === true });
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'container id', value: (c: Container) => c.id.slice(0, 12) },
        { header: 'name', value: (c) => c.name },
        { header: 'image', value: (c) => c.image },
        { header: 'state', value: (c) => paintStatus(c.state, ctx.out.colors) + (c.health ? ` (${c.health})` : '') },
        { header: 'created', value: (c) => formatAge(c.createdAt) },
        { header: 'ports', value: (c) => c.ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}`).join(', ') },
      ], res.items);
    }));

  docker.command('status <container>')
    .description('State, timestamps, exit code and health of one container')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth docker status nginx\n  berth docker status nginx --json | jq .state')
    .action(action(io, async (ctx, [name], opts: { json?: boolean }) => {
      const c = await ctx.client().get<Container>(`${path(name ?? '')}/status`);
      if (opts.json) return ctx.out.json(c);
      showContainer(ctx, c);
    }));

  for (const verb of ['start', 'stop', 'restart'] as const) {
    docker.command(`${verb} <container>`)
      .description(`${verb[0]?.toUpperCase()}${verb.slice(1)} a container`)
      .option('-t, --timeout <seconds>', 'seconds to wait for a clean stop before killing', seconds, 10)
      .option('--json', 'print the API response as JSON')
      .addHelpText('after', `\nExamples:\n  berth docker ${verb} nginx${verb === 'start' ? '' : ' --timeout 5'}`)
      .action(action(io, async (ctx, [name], opts: { timeout: number; json?: boolean }) => {
        const c = await ctx.client().post<Container>(path(name ?? ''), { action: verb, timeout: Math.round(opts.timeout) }, undefined, { timeoutMs: (opts.timeout + 60) * 1000 });
        if (opts.json) return ctx.out.json(c);
        ctx.out.line(`${ctx.out.colors.green('✓')} ${c.name}: ${paintStatus(c.state, ctx.out.colors)}`);
      }));
  }

  docker.command('logs <container>')
    .description('The last lines of a container\'s logs')
    .option('-n, --tail <lines>', 'lines from the end', integer(0, 10000), 100)
    .option('--timestamps', 'prefix each line with its time')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth docker logs nginx\n  berth docker logs nginx --tail 20 --timestamps')
    .action(action(io, async (ctx, [name], opts: { tail: number; timestamps?: boolean; json?: boolean }) => {
      const res = await ctx.client().get<{ container: string; lines: Array<{ stream: string; time: string; text: string }> }>(`${path(name ?? '')}/logs`, { tail: opts.tail });
      if (opts.json) return ctx.out.json(res);
      for (const line of res.lines) {
        const text = opts.timestamps ? `${ctx.out.colors.dim(line.time)} ${line.text}` : line.text;
        (line.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout).write(`${text}\n`);
      }
    }));
}
