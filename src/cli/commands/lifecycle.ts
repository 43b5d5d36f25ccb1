import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';
import { paintStatus } from '../format.js';
import { instancePath, type Instance } from '../instance-view.js';
import { seconds } from '../parse-args.js';
import { Progress } from '../progress.js';
import { waitForStatus } from '../wait-for-status.js';

const TARGET = { start: 'running', stop: 'stopped', restart: 'running' } as const;

/** `berth start|stop|restart <name> [--wait]`: actions on an instance. */
export function registerLifecycleCommands(program: Command, io: CliIo): void {
  for (const verb of ['start', 'stop', 'restart'] as const) {
    program.command(`${verb} <name>`)
      .description(`${verb[0]?.toUpperCase()}${verb.slice(1)} an instance${verb === 'stop' ? ' (it stays stopped until started)' : ''}`)
      .option('-w, --wait', `wait until it is ${TARGET[verb]}, showing its status`)
      .option('--timeout <seconds>', 'with --wait: how long to wait', seconds, 120)
      .option('--json', 'print the instance as JSON')
      .addHelpText('after', `\nExamples:\n  berth ${verb} acme\n  berth ${verb} acme --wait`)
      .action(action(io, async (ctx, [name = ''], opts: { wait?: boolean; timeout: number; json?: boolean }) => {
        const client = ctx.client();
        // A restart is only finished once the instance has visibly moved past its old start.
        const before = verb === 'restart' && opts.wait ? await client.get<Instance>(instancePath(name)) : undefined;
        const res = await client.post<Instance>(`${instancePath(name)}/actions`, { action: verb });
        if (!opts.wait) {
          if (opts.json) return ctx.out.json(res);
          ctx.out.line(`${ctx.out.colors.green('✓')} ${verb} requested: ${res.name} is ${paintStatus(res.status, ctx.out.colors)}`);
          return;
        }
        const progress = new Progress(ctx.io.stderr, ctx.out.errColors);
        const final = await waitForStatus(client, name, progress, ctx.out.errColors, {
          target: TARGET[verb],
          timeoutSeconds: opts.timeout,
          ...(before && res.status === 'running' ? { mustChangeFrom: { startedAt: before.startedAt } } : {}),
        });
        if (opts.json) ctx.out.json(final);
      }));
  }
}
