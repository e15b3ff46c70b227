import { useState } from 'react';
import {
  ApiError,
  formatTime,
  request,
  type Connector,
  type ConnectorStatus,
  type EventEntry,
  type Page,
  type TestReport,
} from './api.js';
import { ProtocolLogSection } from './ProtocolLog.js';
import { StatusBadge } from './StatusBadge.js';
import { usePolling } from './usePolling.js';
import { TableHead } from './TableHead.js';
import { Warnings } from './Warnings.js';

const STEP_LABEL: Record<string, string> = {
  'name-resolution': 'Resolve the host name',
  tcp: 'Connect (TCP)',
  tls: 'TLS handshake',
  greeting: 'POP3 greeting',
  capabilities: 'Capabilities (CAPA)',
  stls: 'Start TLS (STLS)',
  authentication: 'Authenticate as the journaling user',
  stat: 'Count the mailbox (STAT)',
};

/** One definition: Service Status, Test Journal Extraction, suspend/resume, event log, protocol log. */
export function ConnectorPage({ id }: { id: string }) {
  const { data, error, reload } = usePolling(async () => {
    const [connector, status] = await Promise.all([
      request<Connector>('GET', `/v1/connectors/${id}`),
      request<ConnectorStatus>('GET', `/v1/connectors/${id}/status`),
    ]);
    return { connector, status };
  }, [id]);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [report, setReport] = useState<TestReport | null>(null);
  const [eventsVersion, setEventsVersion] = useState(0);

  const act = async (what: string, work: () => Promise<unknown>) => {
    setBusy(what);
    setNotice(null);
    try {
      await work();
      reload();
      setEventsVersion((value) => value + 1);
    } catch (caught) {
      setNotice(caught instanceof ApiError ? caught.message : String(caught));
    } finally {
      setBusy(null);
    }
  };

  if (!data) {
    return (
      <section>
        <h1 tabIndex={-1}>Journal service</h1>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </section>
    );
  }
  const { connector, status } = data;
  return (
    <section aria-labelledby="connector-title">
      <p>
        <a href="#/">← Journaling services</a>
      </p>
      <div className="title-row">
        <h1 id="connector-title" tabIndex={-1}>
          {connector.description}
        </h1>
        <a className="button secondary" href={`#/connectors/${id}/edit`}>
          Edit definition
        </a>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {notice && (
        <p role="alert" className="error">
          {notice}
        </p>
      )}
      <section aria-labelledby="status-title" className="card">
        <h2 id="status-title">Service Status</h2>
        <dl className="status" aria-live="polite">
          <dt>Service Status</dt>
          <dd data-testid="service-status">
            <StatusBadge state={status.serviceStatus} />
          </dd>
          <dt>Last Successful Extract</dt>
          <dd>{status.lastSuccessfulExtract ? formatTime(status.lastSuccessfulExtract) : 'Awaiting initial run'}</dd>
          <dt>Processing Queue</dt>
          <dd>{status.processingQueue}</dd>
          <dt>POP3 Mailbox Queue</dt>
          <dd>{status.pop3MailboxQueue ?? '—'}</dd>
          <dt>Outcomes</dt>
          <dd data-testid="outcome-counters">
            {status.counters.archived} archived, {status.counters.merged} merged ·{' '}
            <a href={`#/connectors/${id}/outcomes/dead-lettered`}>
              {status.counters.deadLettered} dead-lettered, {status.counters.rejected} rejected
            </a>
          </dd>
          {status.lastError && (
            <>
              <dt>Last error</dt>
              <dd>
                {status.lastError.message} ({status.lastError.code}, {formatTime(status.lastError.at)})
              </dd>
            </>
          )}
        </dl>
        <Warnings items={status.warnings} label="Service Status warnings" testId="status-warnings" />
        <p className="hint">
          {connector.mailboxName} at {connector.host}:{connector.port} ·{' '}
          {connector.encrypted ? (connector.tlsTransport === 'implicit' ? 'POP3S' : 'POP3 + STLS') : 'POP3'} ·{' '}
          {connector.journalType === 'envelope' ? 'Exchange Envelope Journaling' : 'Standard EML'}
        </p>
        <div className="actions">
          <button
            type="button"
            disabled={busy !== null}
            onClick={() =>
              act('test', async () => {
                setReport(null);
                setReport(await request<TestReport>('POST', `/v1/connectors/${id}/test-extraction`));
              })
            }
          >
            {busy === 'test' ? 'Testing…' : 'Test Journal Extraction'}
          </button>
          {connector.suspended ? (
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => act('resume', () => request('POST', `/v1/connectors/${id}/resume`))}
            >
              Resume
            </button>
          ) : (
            <button
              type="button"
              className="secondary"
              disabled={busy !== null}
              onClick={() => act('suspend', () => request('POST', `/v1/connectors/${id}/suspend`))}
            >
              Suspend
            </button>
          )}
        </div>
      </section>
      <div aria-live="polite">{report && <TestResult report={report} />}</div>
      <EventLog id={id} version={eventsVersion} />
      <ProtocolLogSection id={id} version={eventsVersion} />
    </section>
  );
}

function TestResult({ report }: { report: TestReport }) {
  return (
    <section aria-labelledby="test-title" className="card">
      <h2 id="test-title">
        Test Journal Extraction: {report.ok ? 'succeeded' : 'failed'}
        <span className="hint"> ({formatTime(report.testedAt)})</span>
      </h2>
      <ol className="steps">
        {report.steps.map((step) => (
          <li key={step.step} className={step.ok ? 'ok' : 'failed'} data-step={step.step} data-ok={step.ok}>
            <span aria-hidden="true">{step.ok ? '✓' : '✕'}</span> {STEP_LABEL[step.step] ?? step.step}:{' '}
            <strong>{step.ok ? 'passed' : 'failed'}</strong> <span className="hint">({step.ms.toFixed(1)} ms)</span>
            {step.detail && <div className="hint">{step.detail}</div>}
          </li>
        ))}
      </ol>
      <Warnings items={report.warnings} label="Test warnings" testId="test-warnings" />
      {report.error && (
        <p className="error">
          {report.error.message} ({report.error.code})
        </p>
      )}
    </section>
  );
}

function describeEvent(event: EventEntry): string {
  const changes = event.details['changes'];
  if (!Array.isArray(changes)) return '';
  return changes
    .map((change: { field: string; from?: unknown; to?: unknown; changed?: boolean }) =>
      change.changed
        ? `${change.field} changed`
        : `${change.field}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`,
    )
    .join('; ');
}

function EventLog({ id, version }: { id: string; version: number }) {
  const [older, setOlder] = useState<EventEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const { data } = usePolling(
    () => request<Page<EventEntry>>('GET', `/v1/connectors/${id}/events?limit=20`),
    [id, version],
    10_000,
  );
  const more = async (from: string) => {
    const page = await request<Page<EventEntry>>('GET', `/v1/connectors/${id}/events?limit=20&cursor=${from}`);
    setOlder((current) => [...current, ...page.items]);
    setCursor(page.nextCursor ?? '');
  };
  const next = cursor === null ? data?.nextCursor : cursor || null;
  const events = [...new Map([...(data?.items ?? []), ...older].map((event) => [event.id, event])).values()];
  return (
    <section aria-labelledby="events-title" className="card">
      <h2 id="events-title">Event log</h2>
      <table>
        <TableHead caption="Changes to this definition, newest first" columns={['When', 'Who', 'What', 'Details']} />
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td data-label="When">{formatTime(event.at)}</td>
              <td data-label="Who">{event.actor}</td>
              <td data-label="What">{event.action}</td>
              <td data-label="Details">{describeEvent(event)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" className="secondary" onClick={() => void more(next)}>
          Older events
        </button>
      )}
    </section>
  );
}
