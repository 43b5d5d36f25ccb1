import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, must, type Orphans } from '../api/client';
import { ConfirmDialog } from '../components/confirm-dialog';

interface Health { status: string; version: string; uptimeSeconds: number; ready: boolean; components: Record<string, { status: string; detail?: string }> }

/** Admin: component health, version, orphans and a gc button. */
export function SystemPage() {
  const [health, setHealth] = useState<Health | null>(null);
  const [orphans, setOrphans] = useState<Orphans | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const load = (): void => {
    api.GET('/health').then((r) => setHealth(must(r)), (e: unknown) => setError(messageOf(e)));
    api.GET('/v1/system/orphans').then((r) => setOrphans(must(r)), (e: unknown) => setError(messageOf(e)));
  };
  useEffect(load, []);
  const gc = async (): Promise<void> => {
    setConfirm(false);
    setResult('removing orphans…');
    try {
      const r = must(await api.POST('/v1/system/gc', { body: {} }));
      setResult(`removed ${r.removed.containers.length} containers, ${r.removed.networks.length} networks, ${r.removed.volumes.length} volumes; ${r.failed.length} failed`);
      load();
    } catch (e) {
      setResult(messageOf(e));
    }
  };
  const count = orphans ? orphans.containers.length + orphans.networks.length + orphans.volumes.length : 0;
  return (
    <section aria-labelledby="system-title">
      <h1 id="system-title">System</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {health && (
        <div class="card">
          <p>berth {health.version} · {health.status} · up {Math.round(health.uptimeSeconds)}s · {health.ready ? 'ready' : 'not ready'}</p>
          <table><thead><tr><th scope="col">Component</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
            <tbody>{Object.entries(health.components).map(([k, c]) => <tr key={k}><th scope="row">{k}</th><td><span class={`badge ${c.status === 'up' ? 'ok' : c.status === 'disabled' ? 'off' : 'bad'}`}>{c.status}</span></td><td>{c.detail ?? ''}</td></tr>)}</tbody>
          </table>
        </div>
      )}
      <div class="card">
        <h2>Orphans</h2>
        {!orphans ? <p role="status">Loading…</p> : count === 0 ? <p>No orphans.</p> : (
          <ul>
            {orphans.containers.map((c) => <li key={c.id}>container {c.name} — {c.reason}</li>)}
            {orphans.networks.map((n) => <li key={n.id}>network {n.name} — {n.reason}</li>)}
            {orphans.volumes.map((v) => <li key={v.name}>volume {v.name} — {v.reason}</li>)}
          </ul>
        )}
        <button type="button" disabled={count === 0} onClick={() => setConfirm(true)}>Remove orphans (gc)</button>
        {result && <p role="status">{result}</p>}
      </div>
      {confirm && <ConfirmDialog title="Remove orphans?" body={`${count} orphaned objects of this berth will be removed.`} confirmLabel="Remove orphans" danger onConfirm={() => void gc()} onCancel={() => setConfirm(false)} />}
    </section>
  );
}
