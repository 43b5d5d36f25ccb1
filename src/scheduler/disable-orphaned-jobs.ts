import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { EventLog } from '../core/events/event-log.js';
import type { JobsRepo } from '../store/repositories/jobs-repo.js';

/**
 * When an instance is deleted, the jobs bound to it are disabled, each with an event saying
 * why: their target id will never exist again, and a job must not silently wait to be pointed
 * at whatever takes the name next. The disable and its event commit together, so a reader never
 * finds the job disabled without the reason. Returns the unsubscribe function.
 */
export function disableJobsOfDeletedInstances(deps: { events: EventLog; repo: JobsRepo; logger: Logger; onChange: () => void }): () => void {
  return deps.events.subscribe((event) => {
    if (event.type !== 'deleted' || !event.instanceId) return;
    const instanceId = event.instanceId;
    void (async () => {
      const events = await deps.repo.disableTargeting(instanceId, (jobs) => deps.events.stamp(...jobs.map((job) => ({
        instanceId, instance: event.instance, tenant: job.tenant, type: 'job-disabled',
        message: `job ${job.name} disabled: its target instance ${event.instance ?? instanceId} (${instanceId}) was deleted`,
        data: { job: job.id, jobName: job.name, instanceId },
      }))));
      deps.events.announce(events);
      if (events.length) deps.onChange();
    })().catch((error: unknown) => deps.logger.warn({ instance: instanceId, reason: describeError(error) }, 'could not disable the jobs of a deleted instance'));
  });
}
