import { memo } from 'preact/compat';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Instance, InstanceStatus, Session } from '../api/client';
import { StatusBadge } from '../components/status-badge';
import { ago, ATTENTION, rank, STATUSES, tone, uptime } from '../status';
import { useFleet } from './fleet-poll';

type SortKey = 'attention' | 'name' | 'tenant' | 'status' | 'restarts' | 'created';

const SORTS: Record<SortKey, (a: Instance, b: Instance) => number> = {
  attention: (a, b) => rank(a) - rank(b) || b.consecutiveFailures - a.consecutiveFailures || a.name.localeCompare(b.name),
  name: (a, b) => a.name.localeCompare(b.name),
  tenant: (a, b) => a.tenant.localeCompare(b.tenant) || a.name.localeCompare(b.name),
  status: (a, b) => a.status.localeCompare(b.status) || a.name.localeCompare(b.name),
  restarts: (a, b) => b.restarts - a.restarts || a.name.localeCompare(b.name),
  created: (a, b) => b.createdAt.localeCompare(a.createdAt),
};

function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <label for={id}>{label}
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">all</option>
        {options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </label>
  );
}

export function FleetPage({ session }: { session: Session }) {
  const { items, error, rendered } = useFleet();
  const [tenant, setTenant] = useState('');
  const [status, setStatus] = useState('');
  const [plan, setPlan] = useState('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('attention');
  useEffect(rendered, [items]);

  const all = items ?? [];
  const tenants = useMemo(() => [...new Set(all.map((i) => i.tenant))].sort(), [items]);
  const plans = useMemo(() => [...new Set(all.map((i) => i.plan))].sort(), [items]);
  // The node column exists only where instances run on cluster nodes (the Swarm driver sets it).
  const showNode = useMemo(() => all.some((i) => i.node), [items]);
  const counts = useMemo(() => {
    const c = new Map<InstanceStatus, number>();
    for (const i of all) c.set(i.status, (c.get(i.status) ?? 0) + 1);
    return c;
  }, [items]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return all.filter((i) => (!tenant || i.tenant === tenant) && (!status || i.status === status) && (!plan || i.plan === plan)
      && (!q || i.name.includes(q) || i.tenant.includes(q) || (i.node ?? '').includes(q))).sort(SORTS[sort]);
  }, [items, tenant, status, plan, search, sort]);
  // Relative times move in 5 s steps so unchanged rows are not re-rendered on every poll.
  const now = Math.floor(Date.now() / 5000) * 5000;

  if (items === null) return error ? <p class="error" role="alert">{error}</p> : <p role="status">Loading instances…</p>;
  const attention = all.filter((i) => ATTENTION.has(i.status)).length;
  return (
    <section aria-labelledby="fleet-title">
      <div class="head">
        <h1 id="fleet-title">Fleet{session.tenant ? ` · ${session.tenant}` : ''}</h1>
        <a class="button" href="#/create">Create instance</a>
      </div>
      {error && <p class="error" role="alert">Live updates failed: {error}</p>}
      <ul class="counts" aria-label="Instances by status">
        <li><button type="button" aria-pressed={status === ''} onClick={() => setStatus('')}><strong>{all.length}</strong> total</button></li>
        {attention > 0 && <li class="bad"><span><strong>{attention}</strong> need attention</span></li>}
        {STATUSES.filter((s) => counts.has(s)).map((s) => (
          <li key={s} class={tone(s)}>
            <button type="button" aria-pressed={status === s} onClick={() => setStatus(status === s ? '' : s)} data-count={s}>
              <strong>{counts.get(s)}</strong> {s}
            </button>
          </li>
        ))}
      </ul>
      {all.length === 0 ? (
        <div class="empty"><p>No instances yet — <a href="#/create">create one</a>.</p></div>
      ) : (
        <>
          <div class="filters" role="search">
            <label for="search">Search<input id="search" type="search" placeholder={showNode ? 'name, tenant or node' : 'name or tenant'} value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} /></label>
            {!session.tenant && <Select id="f-tenant" label="Tenant" value={tenant} options={tenants} onChange={setTenant} />}
            <Select id="f-status" label="Status" value={status} options={STATUSES} onChange={setStatus} />
            <Select id="f-plan" label="Plan" value={plan} options={plans} onChange={setPlan} />
            <label for="sort">Sort
              <select id="sort" value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
                <option value="attention">attention first</option><option value="name">name</option><option value="tenant">tenant</option>
                <option value="status">status</option><option value="restarts">restarts</option><option value="created">newest</option>
              </select>
            </label>
          </div>
          <p class="muted" aria-live="polite">{shown.length} of {all.length} shown</p>
          <div class="table-wrap">
            <table class="fleet">
              <thead><tr><th scope="col">Name</th><th scope="col">Tenant</th><th scope="col">Plan</th>{showNode && <th scope="col">Node</th>}<th scope="col">Status</th><th scope="col">Health</th><th scope="col">Restarts</th><th scope="col">Uptime</th><th scope="col">URL</th></tr></thead>
              <tbody>
                {shown.map((i) => <FleetRow key={i.id} i={i} now={now} showNode={showNode} />)}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** One row; skipped on re-render unless what it shows changed. */
const FleetRow = memo(({ i, now, showNode }: { i: Instance; now: number; showNode: boolean }) => (
  <tr data-instance={i.name} class={ATTENTION.has(i.status) ? 'attention' : undefined}>
    <th scope="row"><a href={`#/instances/${encodeURIComponent(i.name)}`}>{i.name}</a></th>
    <td>{i.tenant}</td>
    <td>{i.plan}</td>
    {showNode && <td data-col="node">{i.node ?? '—'}</td>}
    <td><StatusBadge status={i.status} /></td>
    <td class="health">{i.lastCheckAt ? <>{i.lastCheckOk ? 'ok' : 'failing'} · {ago(i.lastCheckAt, now)}{i.lastCheckLatencyMs !== null ? ` · ${Math.round(i.lastCheckLatencyMs)} ms` : ''}</> : 'not checked'}
      {i.consecutiveFailures > 0 && <span class="bad-text"> · {i.consecutiveFailures} failed</span>}</td>
    <td data-col="restarts">{i.restarts}</td>
    <td>{uptime(i, now)}</td>
    <td>{i.url ? <a href={i.url} target="_blank" rel="noreferrer">:{i.hostPort}</a> : '—'}</td>
  </tr>
), (a, b) => a.now === b.now && a.showNode === b.showNode && a.i.node === b.i.node && a.i.updatedAt === b.i.updatedAt && a.i.status === b.i.status && a.i.lastCheckAt === b.i.lastCheckAt
  && a.i.restarts === b.i.restarts && a.i.consecutiveFailures === b.i.consecutiveFailures && a.i.hostPort === b.i.hostPort);
