import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { JobService } from '../../core/jobs/job-service.js';
import type { Job, JobRun } from '../../core/jobs/job-types.js';
import type { App } from '../app.js';
import { principalOf } from '../auth.js';
import { errorResponses, listOf, Security } from '../schemas.js';

/** Starts a run now; the scheduler implements it. */
export interface RunTrigger {
  runNow(job: Job, actor: string): Promise<{ run: JobRun; done: Promise<JobRun | undefined> }>;
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);

const TargetSchema = Type.Object({
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'One instance, by name or id' })),
  instanceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Set by berth: the id of the instance the job is bound to (a later instance of the same name is never targeted)' })),
  tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Every instance of a tenant' })),
  plan: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Every instance on a plan (admin tokens only)' })),
}, { additionalProperties: false, description: 'Exactly one of instance, tenant or plan' });

const ActionSchema = Type.Object({
  type: Type.Union([Type.Literal('restart'), Type.Literal('exec'), Type.Literal('http'), Type.Literal('snapshot')]),
  mode: Type.Optional(Type.Union([Type.Literal('pause'), Type.Literal('stop')], { description: 'snapshot: freeze the agent (pause, default) or stop it for the copy' })),
  command: Type.Optional(Type.Array(Type.String(), { description: 'exec: argv run inside the container (no shell unless you name one)' })),
  timeoutSeconds: Type.Optional(Type.Integer({ description: 'exec/http: per-target timeout; the command is killed when it passes' })),
  method: Type.Optional(Type.String({ description: 'http: GET, POST, PUT, PATCH, DELETE or HEAD (default GET)' })),
  path: Type.Optional(Type.String({ description: 'http: path on the instance\'s published port, e.g. /tasks/nightly' })),
  body: Type.Optional(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())], { description: 'http: a string, or an object sent as JSON' })),
}, { additionalProperties: false });

const JobFields = {
  schedule: Type.String({ description: 'Cron: 5 fields, or 6 with seconds first ("*/2 * * * * *")', examples: ['0 3 * * *'] }),
  timezone: Type.String({ description: 'IANA time zone the schedule is read in (default UTC)' }),
  target: TargetSchema,
  action: ActionSchema,
  enabled: Type.Boolean(),
  missedPolicy: Type.Union([Type.Literal('skip'), Type.Literal('run-once')], { description: 'Slots missed while berth was down: skip them (default) or run once on boot' }),
  overlapPolicy: Type.Literal('skip', { description: 'A slot due while the previous run is going is recorded as skipped' }),
  timeoutSeconds: Type.Integer({ description: 'Bounds a whole run (default scheduler.defaultTimeoutSeconds)' }),
};

const JobBody = Type.Object({
  name: Type.String({ description: 'DNS-label slug, unique' }),
  schedule: JobFields.schedule,
  timezone: Type.Optional(JobFields.timezone),
  target: JobFields.target,
  action: JobFields.action,
  enabled: Type.Optional(JobFields.enabled),
  missedPolicy: Type.Optional(JobFields.missedPolicy),
  overlapPolicy: Type.Optional(JobFields.overlapPolicy),
  timeoutSeconds: Type.Optional(JobFields.timeoutSeconds),
}, { additionalProperties: false });

const JobPatch = Type.Partial(JobBody, { additionalProperties: false });

export const JobView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ...JobFields,
  tenant: Nullable(Type.String()),
  nextRunAt: Nullable(Type.String()),
  lastRunAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { $id: 'Job', title: 'Job' });

const TargetResultView = Type.Object({
  instanceId: Type.String(),
  instance: Type.String(),
  tenant: Type.String(),
  outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('timed_out')]),
  exitCode: NullableInt,
  statusCode: NullableInt,
  output: Type.String({ description: 'Output excerpt, truncated to scheduler.outputLimitBytes' }),
  truncated: Type.Boolean(),
  error: Nullable(Type.String()),
  startedAt: Type.String(),
  endedAt: Type.String(),
});

export const RunView = Type.Object({
  id: Type.String(),
  jobId: Type.String(),
  slot: Type.String({ description: 'The scheduled slot (ISO time) or manual:<run id>' }),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('catch-up'), Type.Literal('manual')]),
  status: Type.Union(['running', 'succeeded', 'failed', 'timed_out', 'skipped'].map((s) => Type.Literal(s))),
  startedAt: Type.String(),
  endedAt: Nullable(Type.String()),
  durationMs: NullableInt,
  results: Type.Array(TargetResultView),
  note: Nullable(Type.String()),
  claimedBy: Type.String(),
}, { $id: 'JobRun', title: 'JobRun' });

const IdParams = Type.Object({ id: Type.String({ description: 'Job id or name' }) });
const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
};

/** /v1/jobs: scheduled jobs and their run history. Tenant tokens see only their tenant's jobs. */
export function jobRoutes(jobs: JobService, trigger: RunTrigger) {
  return (app: App): void => {
    app.addSchema(JobView);
    app.addSchema(RunView);
    const job = Type.Ref('Job');
    const run = Type.Ref('JobRun');
    const tags = ['jobs'];

    app.post('/v1/jobs', {
      schema: {
        summary: 'Create a job (idempotent by name: the same definition returns the existing job)',
        tags, security: Security, body: JobBody,
        response: { 200: job, 201: job, ...errorResponses(403, 409) },
      },
    }, async (request, reply) => {
      const { job: made, created } = await jobs.create(request.body, principalOf(request));
      return reply.status(created ? 201 : 200).send(made);
    });

    app.get('/v1/jobs', {
      schema: { summary: 'List jobs', tags, security: Security, querystring: Type.Object(PageQuery), response: { 200: listOf(job), ...errorResponses() } },
    }, async (request) => jobs.list(principalOf(request), { limit: request.query.limit ?? 100, offset: request.query.offset ?? 0 }));

    app.get('/v1/jobs/:id', {
      schema: { summary: 'Get a job', tags, security: Security, params: IdParams, response: { 200: job, ...errorResponses(404) } },
    }, async (request) => jobs.get(request.params.id, principalOf(request)));

    app.patch('/v1/jobs/:id', {
      schema: {
        summary: 'Update a job (only the fields sent; a new schedule or enabling restarts it from now)',
        tags, security: Security, params: IdParams, body: JobPatch,
        response: { 200: job, ...errorResponses(403, 404, 409) },
      },
    }, async (request) => jobs.update(request.params.id, request.body, principalOf(request)));

    app.delete('/v1/jobs/:id', {
      schema: { summary: 'Delete a job and its run history', tags, security: Security, params: IdParams, response: { 200: job, ...errorResponses(404) } },
    }, async (request) => jobs.delete(request.params.id, principalOf(request)));

    app.post('/v1/jobs/:id/run', {
      schema: {
        summary: 'Run a job now; ?wait=true answers when the run has ended (or at timeout seconds)',
        tags, security: Security, params: IdParams,
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean()), timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })) }),
        response: { 200: run, 202: run, ...errorResponses(404, 409) },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const target = await jobs.get(request.params.id, principal);
      const started = await trigger.runNow(target, principal.name);
      if (!request.query.wait) return reply.status(202).send(started.run);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([started.done, new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), (request.query.timeout ?? 60) * 1000);
      })]).finally(() => clearTimeout(timer));
      if (ended) return reply.status(200).send(ended);
      return reply.status(202).send((await jobs.run(target.id, started.run.id, principal)) ?? started.run);
    });

    app.get('/v1/jobs/:id/runs', {
      schema: {
        summary: 'Run history, newest first',
        tags, security: Security, params: IdParams,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.String()) }),
        response: { 200: listOf(run), ...errorResponses(404) },
      },
    }, async (request) => jobs.runs(request.params.id, principalOf(request), {
      limit: request.query.limit ?? 100,
      offset: request.query.offset ?? 0,
      ...(request.query.status ? { status: request.query.status } : {}),
    }));

    app.get('/v1/jobs/:id/runs/:runId', {
      schema: {
        summary: 'One run',
        tags, security: Security, params: Type.Object({ id: Type.String(), runId: Type.String() }),
        response: { 200: run, ...errorResponses(404) },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const owner = await jobs.get(request.params.id, principal);
      const found = await jobs.run(owner.id, request.params.runId, principal);
      if (!found) throw new BerthError('NOT_FOUND', `job ${owner.name} has no run ${request.params.runId}`);
      return found;
    });
  };
}
