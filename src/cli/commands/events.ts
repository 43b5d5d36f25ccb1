import type { Command } from 'commander';
import { sleep } from '../../common/clock.js';
import type { Event, Page } from '../api-types.js';
import { action, type CliContext, type CliIo } from '../context.js';
import { integer } from '../parse-args.js';

export type EventView = Event;

const BAD = /fail|crash|oom|error|unhealthy|backoff|died|exit/;
const GOOD = /start|running|recover|created|healthy|ready/;

function formatEvent(e: EventView, ctx: CliContext, withInstance: boolean): string {
  const c = ctx.out.colors;
  const type = BAD.test(e.type) ? c.red(e.type) : GOOD.test(e.type) ? c.green(e.type) : e.type;
  const who = withInstance ? `${(e.instance ?? '-').padEnd(16)} ` : '';
  return `${c.dim(e.at)}  ${who}${type}  ${e.message}${e.actor && e.actor !== 'berth' ? c.dim(`  by ${e.actor}`) : ''}`;
}

type EventList = Page<EventView>;

async function fetchEvents(ctx: CliContext, name: string | undefined, query: Record<string, string | number | undefined>): Promise<EventList> {
  // /v1/events?instance= also finds the history of deleted instances.
  return ctx.client().get<EventList>('/v1/events', { ...query, instance: name });
}

/** Oldest first, as a log reads (the API answers newest first unless following with after=). */
const chronological = (list: EventList): EventView[] => [...list.items].sort((a, b) => a.id - b.id);

/** `berth events [<name>] [-f]`: the history of what happened to instances and why. */
export function registerEventsCommand(program: Command, io: CliIo): void {
  program.command('events [name]')
    .description('Show instance events (created, started, probe failed, restarted, …); all instances without a name')
    .option('-f, --follow', 'keep printing new events (Ctrl-C to stop)')
    .option('-n, --limit <count>', 'how many recent events', integer(1, 1000), 50)
    .option('--tenant <tenant>', 'only this tenant (without a name)')
    .option('--json', 'print as JSON (with -f: one event per line)')
    .addHelpText('after', '\nExamples:\n  berth events acme\n  berth events -f\n  berth events --tenant acme --limit 200 --json')
    .action(action(io, async (ctx, [name], opts: { follow?: boolean; limit: number; tenant?: string; json?: boolean }) => {
      const signal = opts.follow ? ctx.interruptSignal() : undefined;
      const list = await fetchEvents(ctx, name, { limit: opts.limit, tenant: name ? undefined : opts.tenant });
      if (opts.json && !opts.follow) return ctx.out.json(list);
      const events = chronological(list);
      const print = (e: EventView): void => (opts.json ? ctx.out.line(JSON.stringify(e)) : ctx.out.line(formatEvent(e, ctx, !name)));
      events.forEach(print);
      if (!signal) return;
      let lastId = events.reduce((max, e) => Math.max(max, e.id), 0);
      // Events are rows in the store: polling with the last id seen is cheap and loses nothing.
      while (!signal.aborted) {
        await sleep(1000, signal);
        if (signal.aborted) break;
        const fresh = chronological(await fetchEvents(ctx, name, { limit: 1000, tenant: name ? undefined : opts.tenant, after: lastId })).filter((e) => e.id > lastId);
        for (const e of fresh) {
          print(e);
          lastId = Math.max(lastId, e.id);
        }
      }
    }));
}
