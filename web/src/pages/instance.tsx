import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, must, type Instance, type InstanceEvent, type Job, type Plan } from '../api/client';
import { ConfirmDialog } from '../components/confirm-dialog';
import { LogsPanel } from '../components/logs-panel';
import { ServicesPanel } from '../components/services-panel';
import { StatsChart } from '../components/stats-chart';
import { StatusBadge } from '../components/status-badge';
import { navigate } from '../router';
import { ago, uptime } from '../status';

type Action = 'start' | 'stop' | 'restart' | 'delete';

function useInstance(idOrName: string) {
  const [instance, setInstance] = useState<Instance | null>(null);
  const [events, setEvents] = useState<InstanceEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = async (): Promise<void> => {
      try {
        const params = { path: { idOrName } };
        const [i, e] = await Promise.all([api.GET('/v1/instances/{idOrName}', { params }), api.GET('/v1/instances/{idOrName}/events', { params: { ...params, query: { limit: 30 } } })]);
        if (stopped) return;
        setInstance(must(i));
        setEvents(must(e).items);
        setError(null);
      } catch (err) {
        if (!stopped) setError(messageOf(err));
      }
    };
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => { stopped = true; clearInterval(timer); };
  }, [idOrName, tick]);
  return { instance, events, error, reload: () => setTick((t) => t + 1) };
}

export function InstancePage({ idOrName }: { idOrName: string }) {
  const { instance: i, events, error, reload } = useInstance(idOrName);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (!i) return;
    api.GET('/v1/plans').then((r) => setPlan(must(r).items.find((p) => p.name === i.plan) ?? null)).catch(() => undefined);
    api.GET('/v1/jobs').then((r) => setJobs(must(r).items.filter((j) => JSON.stringify(j.target).includes(`"${i.name}"`) || JSON.stringify(j.target).includes(i.id)))).catch(() => undefined);
  }, [i?.id]);

  if (!i) return error ? <p class="error" role="alert">{error}</p> : <p role="status">Loading…</p>;

  const run = async (action: Action): Promise<void> => {
    setConfirm(null);
    setOutcome(null);
    setProgress(`${action === 'stop' ? 'stopping' : action === 'delete' ? 'deleting' : `${action}ing`} ${i.name}…`);
    try {
      if (action === 'delete') {
        must(await api.DELETE('/v1/instances/{idOrName}', { params: { path: { idOrName: i.id }, query: {} } }));
        navigate('/');
        return;
      }
      const r = must(await api.POST('/v1/instances/{idOrName}/actions', { params: { path: { idOrName: i.id }, query: {} }, body: { action } }));
      setOutcome({ ok: true, text: `${action} accepted: ${i.name} is ${r.status}` });
      reload();
    } catch (e) {
      setOutcome({ ok: false, text: messageOf(e) });
    } finally {
      setProgress(null);
    }
  };
  const live = ['running', 'unhealthy', 'starting'].includes(i.status);
  const button = (a: Action, label: string, disabled = false) => (
    <button type="button" class={a === 'delete' ? 'danger' : undefined} disabled={disabled || progress !== null} onClick={() => setConfirm(a)}>{label}</button>
  );
  return (
    <section aria-labelledby="instance-title">
      <p><a href="#/">← Fleet</a></p>
      <div class="head">
        <h1 id="instance-title">{i.name}</h1>
        <StatusBadge status={i.status} />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row actions" role="group" aria-label="Actions">
        {button('start', 'Start', i.desiredState === 'running' && i.status === 'running')}
        {button('stop', 'Stop', i.desiredState === 'stopped')}
        {button('restart', 'Restart', i.desiredState === 'stopped')}
        {button('delete', 'Delete')}
      </div>
      <div aria-live="polite">
        {progress && <p class="progress" role="status">{progress}</p>}
        {outcome && <p class={outcome.ok ? 'ok-text' : 'error'} role={outcome.ok ? 'status' : 'alert'}>{outcome.text}</p>}
      </div>
      {confirm && (
        <ConfirmDialog title={`${confirm[0]!.toUpperCase()}${confirm.slice(1)} ${i.name}?`}
          body={confirm === 'delete' ? `This removes ${i.name}'s container, its workspace volume and its port. It cannot be undone.` : `${i.name} (tenant ${i.tenant}) will ${confirm}.`}
          confirmLabel={`${confirm[0]!.toUpperCase()}${confirm.slice(1)} ${i.name}`} danger={confirm === 'delete' || confirm === 'stop'}
          onConfirm={() => void run(confirm)} onCancel={() => setConfirm(null)} />
      )}
      {i.lastError && <p class="error">Last error: {i.lastError}</p>}
      <div class="grid">
        <section class="card" aria-labelledby="spec-title">
          <h2 id="spec-title">Spec</h2>
          <dl>
            <dt>Tenant</dt><dd>{i.tenant}</dd>
            {i.node ? <><dt>Node</dt><dd data-testid="node">{i.node}</dd></> : null}
            <dt>Image</dt><dd><code>{i.image}</code></dd>
            <dt>Command</dt><dd>{i.command ? <code>{i.command.join(' ')}</code> : 'image default'}</dd>
            <dt>Port</dt><dd>{i.port} → {i.url ? <a href={i.url} target="_blank" rel="noreferrer">{i.url}</a> : '—'}</dd>
            <dt>Health</dt><dd>GET {i.health.path} every {i.health.intervalSeconds}s, {i.health.failureThreshold} failures to fail</dd>
            <dt>Last check</dt><dd>{i.lastCheckAt ? `${i.lastCheckOk ? 'ok' : 'failing'} · ${ago(i.lastCheckAt)}${i.lastCheckLatencyMs !== null ? ` · ${Math.round(i.lastCheckLatencyMs)} ms` : ''}` : 'not yet'}</dd>
            <dt>Failures in a row</dt><dd data-testid="failures">{i.consecutiveFailures}</dd>
            <dt>Restarts</dt><dd>{i.restarts}</dd>
            <dt>Uptime</dt><dd>{uptime(i)}</dd>
            <dt>Env</dt><dd>{Object.keys(i.env).length ? Object.keys(i.env).join(', ') : 'none'}</dd>
            <dt>Secrets</dt><dd>{i.secretNames.length ? i.secretNames.join(', ') : 'none'} <span class="muted">(values are never shown)</span></dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="plan-title">
          <h2 id="plan-title">Plan {i.plan}</h2>
          {plan ? <dl><dt>CPUs</dt><dd>{plan.cpus}</dd><dt>Memory</dt><dd>{plan.memory}</dd><dt>Processes</dt><dd>{plan.pidsLimit}</dd><dt>Read-only root</dt><dd>{plan.readOnlyRootfs ? 'yes' : 'no'}</dd></dl> : <p class="muted">…</p>}
          <h2 class="spaced">Jobs targeting it</h2>
          {jobs.length === 0 ? <p class="muted">none — <a href="#/jobs">add one</a></p> : (
            <ul>{jobs.map((j) => <li key={j.id}>{j.name} · <code>{j.schedule}</code> · last {ago(j.lastRunAt)} · next {j.nextRunAt ? new Date(j.nextRunAt).toLocaleString() : '—'}</li>)}</ul>
          )}
        </section>
      </div>
      {/* Keyed by id: a name deleted and created again is another instance, with panels of its own. */}
      <StatsChart key={`stats-${i.id}`} instance={i.id} live={live} />
      <ServicesPanel key={`services-${i.id}`} instance={i.id} name={i.name} live={live} />
      <LogsPanel key={`logs-${i.id}`} instance={i.id} />
      <section class="card" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        {events.length === 0 ? <p class="muted">no events</p> : (
          <ol class="events">{events.map((e) => <li key={e.id}><time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> <strong>{e.type}</strong> {e.message} <span class="muted">by {e.actor}</span></li>)}</ol>
        )}
      </section>
    </section>
  );
}
