import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, request, tokenStore } from './api.js';
import { ConnectorForm } from './ConnectorForm.js';
import { ConnectorPage } from './ConnectorPage.js';
import { DirectoryPage } from './DirectoryPage.js';
import { OutcomesPage } from './OutcomesPage.js';
import { useRoute, type Route } from './router.js';
import { ServicesList } from './ServicesList.js';
import { TokensPage } from './TokensPage.js';

export function App() {
  const [token, setToken] = useState(tokenStore.get());
  if (!token) return <SignIn onSignedIn={(value) => setToken(value)} />;
  return (
    <Shell
      onSignOut={() => {
        tokenStore.clear();
        setToken(null);
      }}
    />
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    tokenStore.set(value.trim());
    try {
      await request('GET', '/v1/connectors?limit=1');
      onSignedIn(value.trim());
    } catch (caught) {
      tokenStore.clear();
      setError(caught instanceof ApiError ? caught.message : 'The status service cannot be reached');
    }
  };
  return (
    <main className="signin">
      <h1>journalwire console</h1>
      <form onSubmit={submit} aria-describedby="token-help">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error' : undefined}
          onChange={(event) => setValue(event.target.value)}
        />
        <p id="token-help" className="hint">
          Paste a token (<code>npm run token -- create NAME --scope operate</code>). It is kept in this browser tab
          only.
        </p>
        {error && (
          <p id="token-error" role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}

const NAV: Array<{ hash: string; label: string; matches: Route['name'][] }> = [
  { hash: '#/', label: 'Journaling services', matches: ['services', 'new', 'connector', 'edit', 'outcomes'] },
  { hash: '#/directory', label: 'Directory', matches: ['directory'] },
  { hash: '#/tokens', label: 'API tokens', matches: ['tokens'] },
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // Moves focus to the new screen's heading so keyboard and screen-reader users follow the navigation.
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);
  return (
    <>
      <a className="skip" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">journalwire</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.hash}>
                <a href={item.hash} aria-current={item.matches.includes(route.name) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Screen route={route} />
      </main>
    </>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'services':
      return <ServicesList />;
    case 'new':
      return <ConnectorForm />;
    case 'edit':
      return <ConnectorForm id={route.id} />;
    case 'connector':
      return <ConnectorPage id={route.id} />;
    case 'outcomes':
      return <OutcomesPage id={route.id} type={route.type} />;
    case 'directory':
      return <DirectoryPage />;
    case 'tokens':
      return <TokensPage />;
  }
}
