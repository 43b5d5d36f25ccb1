import { useEffect, useState } from 'preact/hooks';
import { api, auth, messageOf, must, type Session } from '../api/client';

interface Props { code: string | null; initialError: string | null; onLogin: (s: Session) => void }

/** Paste a token, or arrive with a one-time code from `berth ui` (in the URL fragment). */
export function LoginPage({ code, initialError, onLogin }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!code) return;
    // Drop the code from the address bar and history at once: it is single-use anyway.
    history.replaceState(null, '', `${location.pathname}#/login`);
    setBusy(true);
    api.POST('/ui-login', { body: { code } }).then((r) => {
      const data = must(r);
      auth.set(data.token);
      onLogin(data.session);
    }).catch((e: unknown) => setError(messageOf(e))).finally(() => setBusy(false));
  }, [code]);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    auth.set(token.trim());
    try {
      onLogin(must(await api.GET('/v1/session')));
    } catch (err) {
      auth.clear();
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page login">
      <h1>berth</h1>
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p class="hint">Kept in this tab only (sessionStorage). Or run <code>berth ui</code> for a one-time login link.</p>
        {error && <p id="login-error" class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
