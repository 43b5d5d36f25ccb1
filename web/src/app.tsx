import { useEffect, useState } from 'preact/hooks';
import { api, auth, messageOf, must, type Session } from './api/client';
import { navigate, useRoute } from './router';
import { CreatePage } from './pages/create';
import { FleetPage } from './pages/fleet';
import { InstancePage } from './pages/instance';
import { JobsPage } from './pages/jobs';
import { LoginPage } from './pages/login';
import { SystemPage } from './pages/system';
import { TokensPage } from './pages/tokens';

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(auth.token() ? undefined : null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (session !== undefined) return;
    api.GET('/v1/session').then((r) => setSession(must(r)), (e: unknown) => { setError(messageOf(e)); setSession(null); })
      .catch(() => undefined);
  }, [session]);

  useEffect(() => {
    // A 401 from a session check means the token was revoked or is wrong: back to the login.
    if (session === null && auth.token()) auth.clear();
  }, [session]);

  if (session === undefined) return <main class="page"><p role="status">Loading…</p></main>;
  if (session === null || route.path === '/login') {
    return <LoginPage code={route.query.get('code')} initialError={error} onLogin={(s) => { setError(null); setSession(s); navigate('/'); }} />;
  }
  const admin = session.scope === 'admin';
  const logout = (): void => { auth.clear(); setSession(null); navigate('/login'); };
  const page = (() => {
    const m = /^\/instances\/([^/]+)$/.exec(route.path);
    // Keyed by the route: another instance's page starts empty, never showing the last one's state.
    if (m) return <InstancePage key={m[1]} idOrName={decodeURIComponent(m[1]!)} />;
    switch (route.path) {
      case '/create': return <CreatePage session={session} />;
      case '/jobs': return <JobsPage />;
      case '/tokens': return admin ? <TokensPage /> : <Forbidden />;
      case '/system': return admin ? <SystemPage /> : <Forbidden />;
      default: return <FleetPage session={session} />;
    }
  })();
  const link = (path: string, label: string) => (
    <a href={`#${path}`} aria-current={route.path === path || (path === '/' && route.path === '') ? 'page' : undefined}>{label}</a>
  );
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">berth</a>
        <nav aria-label="Main">
          {link('/', 'Fleet')}
          {link('/create', 'Create')}
          {link('/jobs', 'Jobs')}
          {admin && link('/tokens', 'Tokens')}
          {admin && link('/system', 'System')}
        </nav>
        <span class="who" title="The token this tab uses">{session.name}{session.tenant ? ` · tenant ${session.tenant}` : ' (admin)'}</span>
        <button type="button" class="link" onClick={logout}>Log out</button>
      </header>
      <main class="page" id="main">{page}</main>
    </>
  );
}

function Forbidden() {
  return <p class="error" role="alert">This page needs an admin token.</p>;
}
