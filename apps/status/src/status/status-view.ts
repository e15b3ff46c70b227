import {
  connectorStatusRecordSchema,
  type ConnectorStatusRecord,
  type ConnectorStatusView,
  type ServiceState,
} from '#contracts';
import { legacyTlsWarning, type MinTlsVersion } from '#pop3';
import { COUNTER_FIELDS, type CounterField } from './status.keys.js';

/** What Redis holds for one connector, parsed. */
export interface StoredState {
  snapshot: ConnectorStatusRecord | null;
  counters: Record<CounterField, number>;
  updatedAt: string | null;
  errorsResetAt: string | null;
}

export const SERVICE_STATUS_LABELS: Record<ServiceState, string> = {
  'awaiting-initial-run': 'Service Awaiting Initial Run',
  ok: 'Service OK',
  error: 'Service Error',
  suspended: 'Service Suspended',
};

export const AWAITING_INITIAL_RUN = 'Awaiting initial run';

export function parseStoredState(hash: Record<string, string>): StoredState {
  const counters = Object.fromEntries(
    COUNTER_FIELDS.map((field) => [field, Math.max(0, Number(hash[field] ?? 0) || 0)]),
  ) as Record<CounterField, number>;
  let snapshot: ConnectorStatusRecord | null = null;
  if (hash['snapshot']) {
    try {
      const parsed = connectorStatusRecordSchema.safeParse(JSON.parse(hash['snapshot']));
      if (parsed.success) snapshot = parsed.data;
    } catch {
      snapshot = null;
    }
  }
  return { snapshot, counters, updatedAt: hash['updatedAt'] ?? null, errorsResetAt: hash['errorsResetAt'] ?? null };
}

/**
 * The status rules: suspended when the definition is; error when the poller reports one that
 * a suspension has not reset since; ok once an extract has succeeded; otherwise awaiting.
 */
export function deriveStatus(
  connector: { id: string; suspended: boolean; updatedAt: Date; minTlsVersion?: MinTlsVersion; encrypted?: boolean },
  state: StoredState,
): ConnectorStatusView {
  const legacyTls = connector.encrypted === false ? null : legacyTlsWarning(connector.minTlsVersion);
  const { snapshot, counters } = state;
  const resetAt = state.errorsResetAt ? Date.parse(state.errorsResetAt) : Number.NEGATIVE_INFINITY;
  const error = snapshot?.lastError && Date.parse(snapshot.lastError.at) > resetAt ? snapshot.lastError : null;
  const lastSuccessfulExtract = snapshot?.lastSuccessfulExtractAt ?? null;
  let serviceStatus: ServiceState;
  if (connector.suspended) serviceStatus = 'suspended';
  else if (snapshot?.state === 'error' && error) serviceStatus = 'error';
  else if (lastSuccessfulExtract) serviceStatus = 'ok';
  else serviceStatus = 'awaiting-initial-run';
  const settled = counters.archived + counters.rejected + counters.merged + counters.deadLettered;
  const times = [state.updatedAt, snapshot?.updatedAt, state.errorsResetAt].map((value) =>
    value ? Date.parse(value) : Number.NaN,
  );
  const updatedAt = new Date(
    Math.max(connector.updatedAt.getTime(), ...times.filter((time) => !Number.isNaN(time))),
  ).toISOString();
  return {
    connectorId: connector.id,
    serviceStatus,
    lastSuccessfulExtract,
    processingQueue: Math.max(0, counters.extracted - settled),
    pop3MailboxQueue: snapshot?.mailboxQueue ?? null,
    lastError: error ? { code: error.code, message: error.message, at: error.at } : null,
    counters: { ...counters },
    updatedAt,
    display: {
      serviceStatus: SERVICE_STATUS_LABELS[serviceStatus],
      lastSuccessfulExtract: lastSuccessfulExtract ?? AWAITING_INITIAL_RUN,
    },
    warnings: legacyTls ? [legacyTls] : [],
  };
}
