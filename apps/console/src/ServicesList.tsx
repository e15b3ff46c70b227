import { useState } from 'react';
import { formatTime, request, type ConnectorListItem, type Page, type ServiceState } from './api.js';
import { STATUS_LABEL, StatusBadge } from './StatusBadge.js';
import { usePolling } from './usePolling.js';
import { TableHead } from './TableHead.js';
import { Pager } from './Pager.js';

const SORTS: Array<[string, string]> = [
  ['createdAt', 'Oldest first'],
  ['description', 'Description A–Z'],
  ['serviceStatus', 'Service Status'],
  ['-lastSuccessfulExtract', 'Last successful extract, newest'],
  ['-processingQueue', 'Processing queue, largest'],
  ['-pop3MailboxQueue', 'POP3 mailbox queue, largest'],
];

/** The journaling services list: one row per definition with its Service Status, live. */
export function ServicesList() {
  const [q, setQ] = useState('');
  const [state, setState] = useState<'' | ServiceState>('');
  const [sort, setSort] = useState('createdAt');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const params = new URLSearchParams({ sort, limit: '25' });
  if (q.trim()) params.set('q', q.trim());
  if (state) params.set('serviceStatus', state);
  if (cursor) params.set('cursor', cursor);
  const { data, error } = usePolling(
    () => request<Page<ConnectorListItem>>('GET', `/v1/connectors?${params.toString()}`),
    [params.toString()],
  );
  const restart = () => setCursors([]);
  return (
    <section aria-labelledby="services-title">
      <div className="title-row">
        <h1 id="services-title" tabIndex={-1}>
          Journaling services
        </h1>
        <a className="button" href="#/connectors/new">
          New Journal Service Definition
        </a>
      </div>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor="search">Search</label>
          <input
            id="search"
            type="search"
            placeholder="Description, mailbox or host"
            value={q}
            onChange={(event) => (setQ(event.target.value), restart())}
          />
        </div>
        <div className="field">
          <label htmlFor="status-filter">Service Status</label>
          <select
            id="status-filter"
            value={state}
            onChange={(event) => (setState(event.target.value as '' | ServiceState), restart())}
          >
            <option value="">Any</option>
            {(Object.keys(STATUS_LABEL) as ServiceState[]).map((value) => (
              <option key={value} value={value}>
                {STATUS_LABEL[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(event) => (setSort(event.target.value), restart())}>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && data.items.length === 0 && <p>No journal service definitions match.</p>}
      {data && data.items.length > 0 && (
        <table className="services">
          <TableHead
            caption="Journal service definitions, updated every few seconds"
            columns={[
              'Service Status',
              'Description',
              'Mailbox',
              'Last successful extract',
              { number: 'Processing queue' },
              { number: 'POP3 mailbox queue' },
            ]}
          />
          <tbody>
            {data.items.map((item) => (
              <tr key={item.id} data-connector={item.id}>
                <td data-label="Service Status">
                  <StatusBadge state={item.status.serviceStatus} />
                </td>
                <th scope="row" data-label="Description">
                  <a href={`#/connectors/${item.id}`}>{item.description}</a>
                </th>
                <td data-label="Mailbox">
                  {item.mailboxName} @ {item.host}:{item.port}
                </td>
                <td data-label="Last successful extract">
                  {item.status.lastSuccessfulExtract
                    ? formatTime(item.status.lastSuccessfulExtract)
                    : 'Awaiting initial run'}
                </td>
                <td data-label="Processing queue" className="number">
                  {item.status.processingQueue}
                </td>
                <td data-label="POP3 mailbox queue" className="number">
                  {item.status.pop3MailboxQueue ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Pages" cursors={cursors} setCursors={setCursors} nextCursor={data?.nextCursor} />
    </section>
  );
}
