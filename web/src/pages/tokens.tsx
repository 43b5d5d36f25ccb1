import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, must, type Token } from '../api/client';
import { ConfirmDialog } from '../components/confirm-dialog';

/** Admin: create (the plain token is shown once), list and revoke API tokens. */
export function TokensPage() {
  const [tokens, setTokens] = useState<Token[]>([]);
  const [name, setName] = useState('');
  const [tenant, setTenant] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [revoke, setRevoke] = useState<Token | null>(null);
  const load = (): void => { api.GET('/v1/tokens').then((r) => setTokens(must(r).items), (e: unknown) => setError(messageOf(e))); };
  useEffect(load, []);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(null);
    setCopied(false);
    try {
      const r = must(await api.POST('/v1/tokens', { body: { name: name.trim(), ...(tenant.trim() ? { tenant: tenant.trim(), scope: 'tenant' as const } : { scope: 'admin' as const }) } }));
      setCreated({ name: r.info.name, token: r.token });
      setName('');
      setTenant('');
      load();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const doRevoke = async (t: Token): Promise<void> => {
    setRevoke(null);
    try {
      must(await api.DELETE('/v1/tokens/{idOrName}', { params: { path: { idOrName: t.id } } }));
      load();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Tokens</h1>
      <form class="form inline" onSubmit={create}>
        <label for="t-name">Name<input id="t-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label for="t-tenant">Tenant (empty: admin)<input id="t-tenant" value={tenant} onInput={(e) => setTenant((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" class="primary">Create token</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {created && (
        <div class="card notice" role="status">
          <p>Token <strong>{created.name}</strong> — copy it now, it is not shown again:</p>
          <p class="row"><code class="secret" data-testid="new-token">{created.token}</code>
            <button type="button" onClick={() => { void navigator.clipboard?.writeText(created.token).then(() => setCopied(true), () => setCopied(false)); }}>{copied ? 'Copied' : 'Copy'}</button></p>
        </div>
      )}
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{tokens.map((t) => (
            <tr key={t.id}>
              <th scope="row">{t.name}</th><td>{t.scope === 'admin' ? 'admin' : `tenant ${t.tenant}`}</td>
              <td>{new Date(t.createdAt).toLocaleString()}</td><td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : '—'}</td>
              <td>{t.revokedAt ? 'revoked' : 'active'}</td>
              <td>{!t.revokedAt && <button type="button" class="danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoke(t)}>Revoke</button>}</td>
            </tr>
          ))}</tbody>
        </table>
      </div>
      {revoke && <ConfirmDialog title={`Revoke ${revoke.name}?`} body="Every client using this token is refused from now on." confirmLabel={`Revoke ${revoke.name}`} danger onConfirm={() => void doRevoke(revoke)} onCancel={() => setRevoke(null)} />}
    </section>
  );
}
