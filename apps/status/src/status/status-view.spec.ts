import { describe, expect, it } from 'vitest';
import type { ConnectorStatusRecord } from '#contracts';
import { statusRecordValue } from '../../../../test/support/status-records.js';
import { deriveStatus, parseStoredState } from './status-view.js';

const connector = { id: 'c1', suspended: false, updatedAt: new Date('2025-01-01T00:00:00.000Z') };

function snapshot(fields: Partial<ConnectorStatusRecord>): string {
  return JSON.stringify(statusRecordValue('c1', { updatedAt: '2025-01-02T00:00:00Z', ...fields }));
}

describe('deriveStatus', () => {
  it('awaits the initial run until a successful extract is reported', () => {
    const status = deriveStatus(connector, parseStoredState({}));
    expect(status).toMatchObject({
      serviceStatus: 'awaiting-initial-run',
      lastSuccessfulExtract: null,
      pop3MailboxQueue: null,
      processingQueue: 0,
    });
    expect(status.display).toEqual({
      serviceStatus: 'Service Awaiting Initial Run',
      lastSuccessfulExtract: 'Awaiting initial run',
    });
    expect(deriveStatus(connector, parseStoredState({ snapshot: snapshot({ state: 'ok' }) })).serviceStatus).toBe(
      'awaiting-initial-run',
    );
  });

  it('is ok after a successful extract, error when the poller reports one, suspended when the definition is', () => {
    const ok = parseStoredState({
      snapshot: snapshot({ lastSuccessfulExtractAt: '2025-01-02T00:00:00Z', mailboxQueue: 4 }),
    });
    expect(deriveStatus(connector, ok)).toMatchObject({ serviceStatus: 'ok', pop3MailboxQueue: 4 });
    const error = parseStoredState({
      snapshot: snapshot({
        state: 'error',
        lastError: { code: 'timeout', message: 'slow', at: '2025-01-03T00:00:00Z' },
      }),
    });
    expect(deriveStatus(connector, error)).toMatchObject({ serviceStatus: 'error', lastError: { code: 'timeout' } });
    expect(deriveStatus({ ...connector, suspended: true }, error).serviceStatus).toBe('suspended');
  });

  it('hides errors up to the last reset (suspension), comparing instants not strings', () => {
    const error = {
      snapshot: snapshot({
        state: 'error',
        lastSuccessfulExtractAt: '2025-01-01T00:00:00Z',
        lastError: { code: 'timeout', message: 'slow', at: '2025-01-03T00:00:00Z' },
      }),
    };
    expect(
      deriveStatus(connector, parseStoredState({ ...error, errorsResetAt: '2025-01-03T00:00:00.000Z' })),
    ).toMatchObject({ serviceStatus: 'ok', lastError: null });
    expect(
      deriveStatus(connector, parseStoredState({ ...error, errorsResetAt: '2025-01-02T23:59:59.999Z' })).serviceStatus,
    ).toBe('error');
  });

  it('computes the processing queue from the counters and never goes below zero', () => {
    const state = parseStoredState({ extracted: '10', archived: '4', merged: '1', rejected: '2', deadLettered: '1' });
    expect(deriveStatus(connector, state).processingQueue).toBe(2);
    expect(deriveStatus(connector, parseStoredState({ archived: '3' })).processingQueue).toBe(0);
  });
});
