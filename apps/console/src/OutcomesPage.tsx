import { useEffect, useRef, useState } from 'react';
import {
  ApiError,
  formatTime,
  request,
  type Connector,
  type Outcome,
  type OutcomeType,
  type Page,
  type ReplayResult,
} from './api.js';
import { usePolling } from './usePolling.js';

export const OUTCOME_TABS: Array<{ type: OutcomeType; label: string; help: string }> = [
  {
    type: 'dead-lettered',
    label: 'Dead-lettered',
    help: 'Messages the envelope or policy service could not process. Fix the cause, then replay.',
  },
  {
    type: 'rejected',
    label: 'Rejected',
    help: "Messages this definition's journaling filters did not archive. Change a filter, then replay to decide again.",
  },
  {
    type: 'skipped',
    label: 'Skipped',
    help: 'Messages the POP3 server failed to return too often; they stay in the mailbox. Fix them there.',
  },
];

/** Rejected, dead-lettered and skipped messages of one definition, with Replay. */
export function OutcomesPage({ id, type }: { id: string; type: OutcomeType }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [confirming, setConfirming] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const resultRef = useRef<HTMLParagraphElement>(null);
  // After a replay the confirmation is gone: focus moves to its result, read out once.
  useEffect(() => resultRef.current?.focus(), [result]);
  const params = new URLSearchParams({ type, limit: '25' });
  if (cursor) params.set('cursor', cursor);
  const { data, error, reload } = usePolling(async () => {
    const [connector, page] = await Promise.all([
      request<Connector>('GET', `/v1/connectors/${id}`),
      request<Page<Outcome>>('GET', `/v1/connectors/${id}/outcomes?${params.toString()}`),
    ]);
    return { connector, page };
  }, [id, params.toString()]);
  useEffect(() => {
    setCursors([]);
    setConfirming(null);
    setResult(null);
  }, [type]);

  const replay = async (outcome: Outcome) => {
    setBusy(true);
    try {
      const answer = await request<ReplayResult>('POST', `/v1/connectors/${id}/outcomes/${outcome.id}/replay`);
      setResult({
        ok: true,
        text: `Replayed: the message is back on journal.raw.v2 (partition ${answer.replay.rawRecord.partition}, offset ${answer.replay.rawRecord.offset}) and goes through envelope and policy again.`,
      });
      reload();
    } catch (caught) {
      setResult({ ok: false, text: caught instanceof ApiError ? caught.message : String(caught) });
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const tab = OUTCOME_TABS.find((t) => t.type === type)!;
  const title = data ? `Messages not archived: ${data.connector.description}` : 'Messages not archived';
  return (
    <section aria-labelledby="outcomes-title">
      <p>
        <a href={`#/connectors/${id}`}>← Journal service</a>
      </p>
      <h1 id="outcomes-title" tabIndex={-1}>
        {title}
      </h1>
      <nav aria-label="Message outcome" className="tabs">
        <ul>
          {OUTCOME_TABS.map((t) => (
            <li key={t.type}>
              <a href={`#/connectors/${id}/outcomes/${t.type}`} aria-current={t.type === type ? 'page' : undefined}>
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <p className="hint">{tab.help}</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div aria-live="polite">
        {result && (
          <p
            ref={resultRef}
            tabIndex={-1}
            role={result.ok ? 'status' : 'alert'}
            className={result.ok ? 'notice' : 'error banner'}
          >
            {result.text}
          </p>
        )}
      </div>
      {confirming && (
        <Confirm
          outcome={confirming}
          busy={busy}
          onConfirm={() => void replay(confirming)}
          onCancel={() => setConfirming(null)}
        />
      )}
      {data && data.page.items.length === 0 && <p>No {tab.label.toLowerCase()} messages.</p>}
      {data && data.page.items.length > 0 && (
        <table className="outcomes">
          <caption className="sr-only">{tab.label} messages, newest first, updated every few seconds</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">{type === 'rejected' ? 'Reason' : 'Error'}</th>
              <th scope="col">Message</th>
              <th scope="col">Where</th>
              {type !== 'skipped' && <th scope="col">Replay</th>}
            </tr>
          </thead>
          <tbody>
            {data.page.items.map((outcome) => (
              <tr key={outcome.id} data-outcome={outcome.id}>
                <td data-label="When">{formatTime(outcome.at)}</td>
                <td data-label={type === 'rejected' ? 'Reason' : 'Error'}>
                  <strong>{outcome.reason}</strong>
                  {outcome.stage && <span className="hint"> ({outcome.stage})</span>}
                  {outcome.error && <div className="wrap">{outcome.error}</div>}
                  {outcome.attempts !== null && <div className="hint">{outcome.attempts} failed retrievals</div>}
                </td>
                <th scope="row" data-label="Message">
                  <div className="wrap">{outcome.subject ?? <span className="hint">Subject unknown</span>}</div>
                  <div className="hint wrap">From: {outcome.sender ?? '—'}</div>
                  <div className="hint wrap">Message-ID: {outcome.messageId ?? '—'}</div>
                </th>
                <td data-label="Where" className="wrap">
                  <Where outcome={outcome} />
                </td>
                {type !== 'skipped' && (
                  <td data-label="Replay">
                    {outcome.replay ? (
                      <span data-replayed="true">
                        Replayed {formatTime(outcome.replay.at)} by {outcome.replay.by} (raw partition{' '}
                        {outcome.replay.rawRecord.partition}, offset {outcome.replay.rawRecord.offset})
                      </span>
                    ) : outcome.replayable ? (
                      <button
                        type="button"
                        disabled={busy}
                        aria-label={`Replay ${outcome.subject ?? outcome.messageId ?? `message ${outcome.id}`}`}
                        onClick={() => (setResult(null), setConfirming(outcome))}
                      >
                        Replay
                      </button>
                    ) : (
                      <span className="hint">Not replayable (no message kept)</span>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          Newest
        </button>
        <button
          type="button"
          disabled={!data?.page.nextCursor}
          onClick={() => data?.page.nextCursor && setCursors([...cursors, data.page.nextCursor])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

function Where({ outcome }: { outcome: Outcome }) {
  return (
    <>
      {outcome.uidl && <div>UIDL {outcome.uidl}</div>}
      {outcome.source && (
        <div className="hint">
          {outcome.source.topic} partition {outcome.source.partition}, offset {outcome.source.offset}
        </div>
      )}
      {outcome.rawRecord && (
        <div className="hint">
          raw record partition {outcome.rawRecord.partition}, offset {outcome.rawRecord.offset}
        </div>
      )}
      {outcome.message &&
        ('claimCheck' in outcome.message ? (
          <div className="hint">claim check {outcome.message.claimCheck.key}</div>
        ) : (
          <div className="hint">inline, {outcome.message.inline.size} bytes</div>
        ))}
    </>
  );
}

/** Asks before a replay; focus goes to the confirming button, Escape cancels. */
function Confirm({
  outcome,
  busy,
  onConfirm,
  onCancel,
}: {
  outcome: Outcome;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), [outcome.id]);
  return (
    <div
      role="alertdialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      className="card confirm"
      onKeyDown={(event) => event.key === 'Escape' && onCancel()}
    >
      <h2 id="confirm-title">Replay this message?</h2>
      <p id="confirm-text">
        “{outcome.subject ?? outcome.messageId ?? `message ${outcome.id}`}” goes back onto journal.raw.v2 byte for byte
        and through envelope and policy again. A message is replayed once.
      </p>
      <div className="actions">
        <button type="button" ref={button} disabled={busy} onClick={onConfirm}>
          {busy ? 'Replaying…' : 'Confirm replay'}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
