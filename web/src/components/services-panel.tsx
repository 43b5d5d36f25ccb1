import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, messageOf, must, type Service } from '../api/client';
import { ConfirmDialog } from './confirm-dialog';
import { ServiceLog } from './service-log';

type ServiceAction = 'up' | 'down' | 'restart';
const VERB: Record<ServiceAction, string> = { up: 'Start', down: 'Stop', restart: 'Restart' };
const ING: Record<ServiceAction, string> = { up: 'starting', down: 'stopping', restart: 'restarting' };

/** Seconds as "3h 12m" / "45s": the s6 uptime of a service. */
function span(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

function stateTone(s: Service): 'ok' | 'bad' | 'busy' | 'off' {
  if (s.state === 'up') return s.wantUp ? 'ok' : 'busy';
  if (s.state === 'finishing') return 'busy';
  // Down but wanted up: s6 is restarting a crashing process.
  return s.wantUp ? 'bad' : 'off';
}

function ended(s: Service): string {
  if (s.state === 'up') return s.pid !== null ? `pid ${s.pid}` : '';
  if (s.signal) return `killed by ${s.signal}`;
  if (s.exitCode !== null) return `exit ${s.exitCode}`;
  return '';
}

/**
 * The s6 services inside an instance (shown only where the image runs s6): state, pid or how the
 * last run ended, uptime, and up / down / restart behind a confirmation that names the service and
 * the instance; "Log" opens the tail of the service's s6-log output.
 */
export function ServicesPanel({ instance, name, live }: { instance: string; name: string; live: boolean }) {
  const [items, setItems] = useState<Service[] | null>(null);
  const [unsupervised, setUnsupervised] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [confirm, setConfirm] = useState<{ service: string; action: ServiceAction } | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [logOf, setLogOf] = useState<string | null>(null);

  useEffect(() => {
    // A stopped container has no running services to show (and s6 cannot be asked).
    if (!live) { setItems(null); setError(null); return; }
    let stopped = false;
    const load = async (): Promise<void> => {
      try {
        const r = await api.GET('/v1/instances/{idOrName}/services', { params: { path: { idOrName: instance } } });
        if (stopped) return;
        const list = must(r);
        setItems(list.items);
        setUnsupervised(false);
        setError(null);
      } catch (e) {
        if (stopped) return;
        // 409 NO_SUPERVISOR: the image does not run s6; the panel stays out of the way.
        if (e instanceof ApiError && e.code === 'NO_SUPERVISOR') setUnsupervised(true);
        else setError(messageOf(e));
      }
    };
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => { stopped = true; clearInterval(timer); };
  }, [instance, live, tick]);

  if (unsupervised || (items === null && error === null)) return null;

  const run = async (service: string, action: ServiceAction): Promise<void> => {
    setConfirm(null);
    setOutcome(null);
    setProgress(`${ING[action]} ${service} in ${name}…`);
    try {
      const r = must(await api.POST('/v1/instances/{idOrName}/services/{service}/actions', {
        params: { path: { idOrName: instance, service }, query: {} }, body: { action },
      }));
      setOutcome(r.settled
        ? { ok: true, text: `${service} is ${r.state}${r.pid !== null ? ` (pid ${r.pid})` : ''}` }
        : { ok: false, text: `${action} sent; s6 had not reported ${service} ${action === 'down' ? 'down' : 'up'} yet (now ${r.state})` });
    } catch (e) {
      setOutcome({ ok: false, text: messageOf(e) });
    } finally {
      setProgress(null);
      setTick((t) => t + 1);
    }
  };

  const button = (s: Service, action: ServiceAction, disabled: boolean) => (
    <button type="button" disabled={disabled || progress !== null} aria-label={`${VERB[action]} service ${s.name}`}
      class={action === 'down' ? 'danger' : undefined} onClick={() => setConfirm({ service: s.name, action })}>{VERB[action]}</button>
  );
  return (
    <section class="card" aria-labelledby="services-title">
      <div class="head"><h2 id="services-title">Services</h2><span class="muted">supervised by s6</span></div>
      {error && <p class="error" role="alert">{error}</p>}
      <div aria-live="polite">
        {progress && <p class="progress" role="status">{progress}</p>}
        {outcome && <p class={outcome.ok ? 'ok-text' : 'error'} role={outcome.ok ? 'status' : 'alert'} data-testid="service-outcome">{outcome.text}</p>}
      </div>
      {items && items.length === 0 && <p class="muted">s6 supervises no services here.</p>}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table class="services">
            <thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Process</th><th scope="col">For</th><th scope="col">s6-svstat</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.name} data-service={s.name}>
                  <th scope="row">{s.name}{s.label !== s.name && <span class="muted"> · {s.label}</span>}</th>
                  <td><span class={`badge ${stateTone(s)}`} data-state={s.state}>{s.state}{s.state === 'down' && s.wantUp ? ' (restarting)' : ''}{s.paused ? ' · paused' : ''}</span></td>
                  <td>{ended(s)}</td>
                  <td>{span(s.uptimeSeconds)}</td>
                  <td><code class="muted">{s.raw}</code></td>
                  <td class="row" role="group" aria-label={`Actions for service ${s.name}`}>
                    {button(s, 'up', s.state === 'up' && s.wantUp)}
                    {button(s, 'down', s.state === 'down' && !s.wantUp)}
                    {button(s, 'restart', !s.wantUp)}
                    <button type="button" aria-pressed={logOf === s.name} aria-label={`Log of service ${s.name}`}
                      onClick={() => setLogOf(logOf === s.name ? null : s.name)}>Log</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {logOf && <ServiceLog instance={instance} service={logOf} />}
      {confirm && (
        <ConfirmDialog title={`${VERB[confirm.action]} service ${confirm.service} in ${name}?`}
          body={confirm.action === 'down'
            ? `s6 stops ${confirm.service} inside ${name} and keeps it down until it is started again. The container keeps running.`
            : `s6 ${confirm.action === 'up' ? 'starts' : 'restarts'} ${confirm.service} inside ${name}.`}
          confirmLabel={`${VERB[confirm.action]} ${confirm.service}`} danger={confirm.action === 'down'}
          onConfirm={() => void run(confirm.service, confirm.action)} onCancel={() => setConfirm(null)} />
      )}
    </section>
  );
}
