import type { Command } from 'commander';
import { readLines } from '../api-client.js';
import type { Service as ServiceView, SupervisedContainer } from '../api-types.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { paintStatus } from '../format.js';
import { integer, seconds } from '../parse-args.js';
import { Progress } from '../progress.js';

/** An action's answer marks whether the service reached the state asked for. */
type Service = ServiceView & { settled?: boolean };
type Supervised = SupervisedContainer;

/** Instances and registered containers share the /v1/containers/{name} routes. */
const containerPath = (name: string): string => `/v1/containers/${encodeURIComponent(name)}`;
const servicePath = (container: string, service: string): string => `${containerPath(container)}/services/${encodeURIComponent(service)}`;

function uptime(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function state(ctx: CliContext, s: Service): string {
  const painted = paintStatus(s.state === 'up' ? 'running' : s.state === 'down' ? 'stopped' : 'restarting', ctx.out.colors).replace(/running|stopped|restarting/, s.state);
  const why = s.state !== 'up' ? (s.signal ? ` (${s.signal})` : s.exitCode !== null ? ` (exit ${s.exitCode})` : '') : '';
  return `${painted}${why}${s.wantUp !== (s.state === 'up') ? ctx.out.colors.dim(s.wantUp ? ', want up' : ', want down') : ''}`;
}

/** `berth services [<instance|container>]` and `berth service up|down|restart|once|logs …`: s6 services inside containers. */
export function registerServiceCommands(program: Command, io: CliIo): void {
  program.command('services [container]')
    .description('List the s6 services of an instance or a registered container (no argument: every supervised container)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', '\nExamples:\n  berth services\n  berth services acme\n  berth services acme --json | jq -r \'.items[] | select(.state != "up") | .name\'')
    .action(action(io, async (ctx, [name], opts: { json?: boolean }) => {
      if (!name) {
        const res = await ctx.client().get<{ items: Supervised[]; total: number }>('/v1/containers');
        if (opts.json) return ctx.out.json(res);
        return ctx.out.table([
          { header: 'name', value: (c: Supervised) => c.name },
          { header: 'kind', value: (c) => c.kind },
          { header: 'tenant', value: (c) => c.tenant ?? '-' },
          { header: 'engine', value: (c) => paintStatus(c.engineState, ctx.out.colors) },
          { header: 'supervisor', value: (c) => c.supervisor ?? '-' },
          { header: 'services', value: (c) => (c.serviceCount === null ? '-' : String(c.serviceCount)) },
        ], res.items);
      }
      const res = await ctx.client().get<{ items: Service[]; supervisor: string; scanDir: string }>(`${containerPath(name)}/services`);
      if (opts.json) return ctx.out.json(res);
      ctx.out.table([
        { header: 'name', value: (s: Service) => s.name },
        { header: 'state', value: (s) => state(ctx, s) },
        { header: 'pid', value: (s) => (s.pid === null ? '-' : String(s.pid)) },
        { header: 'uptime', value: (s) => uptime(s.uptimeSeconds) },
        { header: 'ready', value: (s) => (s.ready ? 'yes' : '-') },
        { header: 'label', value: (s) => (s.label === s.name ? '' : s.label) },
      ], res.items);
    }));

  const service = program.command('service').description('Control one s6 service inside an instance or registered container: up, down, restart, once, logs')
    .addHelpText('after', '\nExamples:\n  berth service restart acme worker --wait\n  berth service down acme gateway\n  berth service logs acme gateway -f --tail 20');

  for (const verb of ['up', 'down', 'restart', 'once'] as const) {
    service.command(`${verb} <container> <service>`)
      .description(verb === 'once' ? 'Start a service once (s6 does not restart it when it exits)' : `${verb === 'up' ? 'Bring up' : verb === 'down' ? 'Bring down' : 'Restart'} a service`)
      .option('-w, --wait [seconds]', 'wait until s6 reports the change (default 30s)')
      .option('--json', 'print the API response as JSON')
      .addHelpText('after', `\nExamples:\n  berth service ${verb} acme worker\n  berth service ${verb} acme worker --wait 10`)
      .action(action(io, async (ctx, [container = '', name = ''], opts: { wait?: boolean | string; json?: boolean }) => {
        const wait = typeof opts.wait === 'string' ? seconds(opts.wait) : opts.wait ? 30 : 0;
        const progress = wait > 0 && !opts.json ? new Progress(ctx.io.stderr, ctx.out.errColors) : undefined;
        progress?.update(`${verb} ${container}/${name}: waiting for s6`);
        let s: Service;
        try {
          s = await ctx.client().post<Service>(`${servicePath(container, name)}/actions`, { action: verb }, { timeout: wait }, { timeoutMs: (wait + 30) * 1000 });
        } catch (error) {
          progress?.stop();
          throw error;
        }
        if (opts.json) return ctx.out.json(s);
        const text = `${container}/${s.name}: ${state(ctx, s)}${s.pid ? ` (pid ${s.pid})` : ''}`;
        if (progress) progress.finish(s.settled === true, s.settled ? text : `${text}; s6 did not report the change within ${wait}s`);
        else ctx.out.line(`${ctx.out.colors.green('✓')} ${text}`);
      }));
  }

  service.command('logs <container> <service>')
    .description('A service\'s s6-log output')
    .option('-f, --follow', 'keep streaming new lines (Ctrl-C to stop)')
    .option('-n, --tail <lines>', 'lines from the end', integer(0, 100000), 100)
    .option('-t, --timestamps', 'prefix each line with its time')
    .option('--json', 'print one JSON object {time,text} per line')
    .addHelpText('after', '\nExamples:\n  berth service logs acme gateway\n  berth service logs acme gateway -f --tail 0')
    .action(action(io, async (ctx, [container = '', name = ''], opts: { follow?: boolean; tail: number; timestamps?: boolean; json?: boolean }) => {
      const signal = opts.follow ? ctx.interruptSignal() : new AbortController().signal;
      const res = await ctx.client().stream(`${servicePath(container, name)}/logs`, { tail: opts.tail, follow: opts.follow ? true : undefined, format: 'ndjson' }, signal);
      try {
        for await (const raw of readLines(res)) {
          if (opts.json) {
            ctx.io.stdout.write(`${raw}\n`);
            continue;
          }
          const line = JSON.parse(raw) as { time: string; text: string };
          ctx.io.stdout.write(`${opts.timestamps && line.time ? `${ctx.out.colors.dim(line.time)} ` : ''}${line.text}\n`);
        }
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    }));
}
