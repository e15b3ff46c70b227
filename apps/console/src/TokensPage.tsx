import { useState, type FormEvent } from 'react';
import { ApiError, formatTime, request, type Token } from './api.js';
import { usePolling } from './usePolling.js';
import { TableHead } from './TableHead.js';
import { FieldNote } from './FieldNote.js';

/** API tokens (scope admin): list, create (the secret is shown once), revoke. */
export function TokensPage() {
  const { data, error, reload } = usePolling(() => request<{ items: Token[] }>('GET', '/v1/tokens'), [], 15_000);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Token['scope']>('read');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<string | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setProblems({});
    setNotice(null);
    try {
      const body: Record<string, unknown> = { name, scope };
      if (days.trim()) body['expiresInDays'] = Number(days);
      const token = await request<{ token: string }>('POST', '/v1/tokens', body);
      setCreated(token.token);
      setName('');
      reload();
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      setProblems(Object.fromEntries(caught.fields.map((problem) => [problem.field, problem.message])));
      setNotice(caught.message);
    }
  };
  const revoke = async (token: Token) => {
    if (!confirm(`Revoke the token “${token.name}”? Anything using it stops working at once.`)) return;
    try {
      await request('POST', `/v1/tokens/${token.id}/revoke`);
      reload();
    } catch (caught) {
      setNotice(caught instanceof ApiError ? caught.message : String(caught));
    }
  };
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title" tabIndex={-1}>
        API tokens
      </h1>
      {(error || notice) && (
        <p role="alert" className="error">
          {notice ?? error}
        </p>
      )}
      <form className="card inline" onSubmit={create} aria-labelledby="new-token-title">
        <h2 id="new-token-title">New token</h2>
        <div className="field">
          <label htmlFor="t-name">Name</label>
          <input
            id="t-name"
            value={name}
            required
            aria-invalid={problems['name'] ? true : undefined}
            aria-describedby={problems['name'] ? 't-name-error' : undefined}
            onChange={(event) => setName(event.target.value)}
          />
          <FieldNote id="t-name-error" kind="error" text={problems['name']} />
        </div>
        <div className="field">
          <label htmlFor="t-scope">Scope</label>
          <select id="t-scope" value={scope} onChange={(event) => setScope(event.target.value as Token['scope'])}>
            <option value="read">read</option>
            <option value="operate">operate</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="t-days">Expires in days (empty: never)</label>
          <input
            id="t-days"
            inputMode="numeric"
            value={days}
            aria-invalid={problems['expiresInDays'] ? true : undefined}
            aria-describedby={problems['expiresInDays'] ? 't-days-error' : undefined}
            onChange={(event) => setDays(event.target.value)}
          />
          <FieldNote id="t-days-error" kind="error" text={problems['expiresInDays']} />
        </div>
        <button type="submit">Create token</button>
      </form>
      {created && (
        <div role="status" className="card">
          <p>
            The new token (shown once, copy it now): <code className="secret">{created}</code>
          </p>
        </div>
      )}
      <table>
        <TableHead caption="API tokens" columns={['Name', 'Scope', 'Created', 'Expires', 'Last used', 'State']} />
        <tbody>
          {data?.items.map((token) => (
            <tr key={token.id}>
              <th scope="row" data-label="Name">
                {token.name}
              </th>
              <td data-label="Scope">{token.scope}</td>
              <td data-label="Created">{formatTime(token.createdAt)}</td>
              <td data-label="Expires">{token.expiresAt ? formatTime(token.expiresAt) : 'never'}</td>
              <td data-label="Last used">{formatTime(token.lastUsedAt)}</td>
              <td data-label="State">
                {token.revokedAt ? (
                  `revoked ${formatTime(token.revokedAt)}`
                ) : (
                  <button type="button" className="secondary" onClick={() => void revoke(token)}>
                    Revoke <span className="sr-only">{token.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
