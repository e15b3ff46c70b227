import { formatTime, request, type ProtocolLog, type ProtocolLogEntry } from './api.js';
import { usePolling } from './usePolling.js';

const KIND_LABEL: Record<ProtocolLogEntry['kind'], string> = {
  session: 'Session',
  'test-extraction': 'Test Journal Extraction',
};

/** Detailed Logging: the redacted POP3 conversation of recent sessions and tests, newest first. */
export function ProtocolLogSection({ id, version }: { id: string; version: number }) {
  const { data, error } = usePolling(
    () => request<ProtocolLog>('GET', `/v1/connectors/${id}/protocol-log`),
    [id, version],
    10_000,
  );
  return (
    <section aria-labelledby="protocol-title" className="card" data-testid="protocol-log">
      <h2 id="protocol-title">Protocol log</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && (
        <>
          <p className="hint">
            {data.detailedLogging
              ? 'Detailed Logging is on: the POP3 conversation of each session and test is recorded.'
              : 'Detailed Logging is off: nothing new is recorded. Turn it on in the definition to record the POP3 conversation of each session and test.'}{' '}
            The last {data.limits.sessions} are kept for {Math.round(data.limits.ttlSeconds / 86_400)} days; command and
            status lines only, passwords redacted.
          </p>
          {data.items.length === 0 ? (
            <p>No sessions recorded.</p>
          ) : (
            data.items.map((entry) => <Entry key={`${entry.kind}-${entry.startedAt}`} entry={entry} />)
          )}
        </>
      )}
    </section>
  );
}

function Entry({ entry }: { entry: ProtocolLogEntry }) {
  const text = entry.lines
    .map((line) => `${line.ms.toFixed(1).padStart(8)} ms  ${line.direction === 'client' ? 'C' : 'S'}: ${line.line}`)
    .join('\n');
  return (
    <details className="protocol-entry" data-kind={entry.kind} data-outcome={entry.outcome}>
      <summary>
        {KIND_LABEL[entry.kind]}, {formatTime(entry.startedAt)}: {entry.outcome}
        {entry.error ? ` (${entry.error.code})` : ''}, {entry.lines.length} lines
      </summary>
      {entry.error && <p className="error">{entry.error.message}</p>}
      {entry.omittedLines > 0 && (
        <p className="hint">{entry.omittedLines} lines in the middle of this session were left out.</p>
      )}
      <pre className="protocol">{text}</pre>
    </details>
  );
}
