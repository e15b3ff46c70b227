import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, request, type Address, type Domain, type ImportResult, type Page } from './api.js';
import { usePolling } from './usePolling.js';
import { Pager } from './Pager.js';

/** The internal-address directory: domains, addresses with aliases, CSV import. */
export function DirectoryPage() {
  const [version, setVersion] = useState(0);
  return (
    <section aria-labelledby="directory-title">
      <h1 id="directory-title" tabIndex={-1}>
        Directory
      </h1>
      <p className="hint">Internal domains and known internal addresses, used to classify journaled messages.</p>
      <div className="columns">
        <List<Domain>
          title="Internal domains"
          path="/v1/directory/domains"
          version={version}
          render={(row) => (
            <>
              {row.domain}
              {row.includeSubdomains && <span className="hint"> (and subdomains)</span>}
            </>
          )}
          keyOf={(row) => row.domain}
        />
        <List<Address>
          title="Internal addresses"
          path="/v1/directory/addresses"
          version={version}
          render={(row) => (
            <>
              {row.address}
              {row.displayName && <span> — {row.displayName}</span>}
              {row.aliases.length > 0 && <div className="hint">aliases: {row.aliases.join(', ')}</div>}
            </>
          )}
          keyOf={(row) => row.address}
        />
      </div>
      <CsvImport onImported={() => setVersion((value) => value + 1)} />
    </section>
  );
}

function List<T>(props: {
  title: string;
  path: string;
  version: number;
  render: (row: T) => ReactNode;
  keyOf: (row: T) => string;
}) {
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const params = new URLSearchParams({ limit: '50' });
  if (q.trim()) params.set('q', q.trim());
  const cursor = cursors[cursors.length - 1];
  if (cursor) params.set('cursor', cursor);
  const { data, error } = usePolling(
    () => request<Page<T>>('GET', `${props.path}?${params.toString()}`),
    [params.toString(), props.version],
    15_000,
  );
  const searchId = `search-${props.path.replace(/\W/g, '')}`;
  return (
    <section className="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      <div className="field">
        <label htmlFor={searchId}>Search {props.title.toLowerCase()}</label>
        <input id={searchId} type="search" value={q} onChange={(event) => (setQ(event.target.value), setCursors([]))} />
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ul className="rows">
        {data?.items.map((row) => (
          <li key={props.keyOf(row)}>{props.render(row)}</li>
        ))}
        {data && data.items.length === 0 && <li className="hint">None.</li>}
      </ul>
      <Pager label={`${props.title} pages`} cursors={cursors} setCursors={setCursors} nextCursor={data?.nextCursor} />
    </section>
  );
}

function CsvImport({ onImported }: { onImported: () => void }) {
  const [csv, setCsv] = useState('');
  const [mode, setMode] = useState<'merge' | 'replace'>('merge');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await request<ImportResult>('POST', `/v1/directory/import?mode=${mode}`, csv, 'text/csv'));
      onImported();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-title">
      <h2 id="import-title">Import CSV</h2>
      <div className="field">
        <label htmlFor="csv-file">CSV file</label>
        <input
          id="csv-file"
          type="file"
          accept=".csv,text/csv"
          onChange={(event) => void event.target.files?.[0]?.text().then(setCsv)}
        />
      </div>
      <div className="field">
        <label htmlFor="csv-text">or paste CSV</label>
        <textarea
          id="csv-text"
          rows={5}
          value={csv}
          aria-describedby="csv-help"
          onChange={(event) => setCsv(event.target.value)}
        />
        <p id="csv-help" className="hint">
          <code>type,value,aliases,displayName</code> — e.g. <code>domain,contoso.com</code> or{' '}
          <code>address,alice@contoso.com,al@contoso.com,Alice</code>
        </p>
      </div>
      <fieldset>
        <legend>Mode</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'merge'} onChange={() => setMode('merge')} /> Merge into the
          directory
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'replace'} onChange={() => setMode('replace')} /> Replace
          the directory
        </label>
      </fieldset>
      <button type="submit" disabled={csv.trim() === ''}>
        Import
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {result && (
        <div role="status">
          <p>
            Imported ({result.mode}): domains {JSON.stringify(result.domains)}, addresses{' '}
            {JSON.stringify(result.addresses)}.
          </p>
          {result.errors.length > 0 && (
            <ul className="error">
              {result.errors.map((problem) => (
                <li key={`${problem.row}-${problem.value}`}>
                  Row {problem.row} ({problem.value}): {problem.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
