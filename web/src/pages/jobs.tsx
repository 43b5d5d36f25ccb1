import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, must, type Job, type JobRun } from '../api/client';

/** Jobs: list, create a restart or exec job, run now, and the run history of one job. */
export function JobsPage() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', schedule: '0 3 * * *', instance: '', type: 'restart', command: '' });
  const [open, setOpen] = useState<string | null>(null);
  const [runs, setRuns] = useState<JobRun[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const load = (): void => { api.GET('/v1/jobs').then((r) => setJobs(must(r).items), (e: unknown) => setError(messageOf(e))); };
  useEffect(load, []);
  useEffect(() => {
    if (!open) return;
    const get = (): void => { api.GET('/v1/jobs/{id}/runs', { params: { path: { id: open }, query: {} } }).then((r) => setRuns(must(r).items), (e: unknown) => setError(messageOf(e))); };
    get();
    const t = setInterval(get, 3000);
    return () => clearInterval(t);
  }, [open]);

  const set = (k: keyof typeof form) => (e: Event): void => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      const action = form.type === 'exec' ? { type: 'exec' as const, command: form.command.trim().split(/\s+/) } : { type: 'restart' as const };
      must(await api.POST('/v1/jobs', { body: { name: form.name.trim(), schedule: form.schedule.trim(), target: { instance: form.instance.trim() }, action } }));
      setForm({ ...form, name: '' });
      load();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const runNow = async (j: Job): Promise<void> => {
    setNote(`running ${j.name}…`);
    try {
      must(await api.POST('/v1/jobs/{id}/run', { params: { path: { id: j.id }, query: {} } }));
      setNote(`${j.name} started`);
      setOpen(j.id);
    } catch (err) {
      setNote(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form class="form inline" onSubmit={create}>
        <label for="j-name">Name<input id="j-name" required value={form.name} onInput={set('name')} /></label>
        <label for="j-schedule">Cron schedule<input id="j-schedule" required value={form.schedule} onInput={set('schedule')} /></label>
        <label for="j-instance">Instance<input id="j-instance" required value={form.instance} onInput={set('instance')} /></label>
        <label for="j-type">Action<select id="j-type" value={form.type} onChange={set('type')}><option value="restart">restart</option><option value="exec">exec</option></select></label>
        {form.type === 'exec' && <label for="j-command">Command<input id="j-command" required value={form.command} onInput={set('command')} /></label>}
        <button type="submit" class="primary">Create job</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {note && <p role="status">{note}</p>}
      {jobs === null ? <p role="status">Loading…</p> : jobs.length === 0 ? <p class="empty">No jobs yet.</p> : (
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Name</th><th scope="col">Schedule</th><th scope="col">Target</th><th scope="col">Action</th><th scope="col">Next run</th><th scope="col">Last run</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{jobs.map((j) => (
            <tr key={j.id}>
              <th scope="row">{j.name}</th><td><code>{j.schedule}</code> {j.timezone}</td><td>{JSON.stringify(j.target)}</td><td>{j.action.type}</td>
              <td>{j.nextRunAt ? new Date(j.nextRunAt).toLocaleString() : '—'}</td><td>{j.lastRunAt ? new Date(j.lastRunAt).toLocaleString() : '—'}</td>
              <td class="row"><button type="button" onClick={() => void runNow(j)} aria-label={`Run ${j.name} now`}>Run now</button>
                <button type="button" aria-expanded={open === j.id} onClick={() => setOpen(open === j.id ? null : j.id)} aria-label={`History of ${j.name}`}>History</button></td>
            </tr>
          ))}</tbody>
        </table></div>
      )}
      {open && (
        <div class="card"><h2>Runs</h2>
          {runs.length === 0 ? <p class="muted">no runs yet</p> : <ol class="events">{runs.map((r) => <li key={r.id}>{new Date(r.startedAt).toLocaleString()} · {r.trigger} · <strong>{r.status}</strong>{r.durationMs !== null ? ` · ${r.durationMs} ms` : ''}{r.note ? ` · ${r.note}` : ''}</li>)}</ol>}
        </div>
      )}
    </section>
  );
}
