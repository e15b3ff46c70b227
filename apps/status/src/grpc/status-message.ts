import type { ConnectorStatusView } from '../status/status-view.js';

/** journalwire.status.v1.ConnectorStatus, with proto-loader's camelCase field names. */
export interface ConnectorStatusMessage {
  connectorId: string;
  serviceStatus: string;
  lastSuccessfulExtract: string;
  processingQueue: number;
  pop3MailboxQueue: number;
  lastError?: { code: string; message: string; at: string };
  counters: { extracted: number; archived: number; rejected: number; deadLettered: number; merged: number };
  updatedAt: string;
}

/** REST status → proto message: null time is "", an unreached mailbox is -1, no error is unset. */
export function toStatusMessage(status: ConnectorStatusView): ConnectorStatusMessage {
  return {
    connectorId: status.connectorId,
    serviceStatus: status.serviceStatus,
    lastSuccessfulExtract: status.lastSuccessfulExtract ?? '',
    processingQueue: status.processingQueue,
    pop3MailboxQueue: status.pop3MailboxQueue ?? -1,
    ...(status.lastError ? { lastError: { ...status.lastError } } : {}),
    counters: { ...status.counters },
    updatedAt: status.updatedAt,
  };
}
