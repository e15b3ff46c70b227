import type { ConnectorStatusView } from '#contracts';

/**
 * journalwire.status.v1.ConnectorStatus (libs/contracts/src/proto/status.proto), with
 * proto-loader's camelCase field names: the REST view (libs/contracts/src/api-views.ts) as proto3
 * can carry it. The proto stays the source for gRPC clients (protoc generates their types from it
 * in any language); status-message.spec.ts checks that it and the REST view name the same fields.
 */
export type ConnectorStatusMessage = Pick<
  ConnectorStatusView,
  'connectorId' | 'serviceStatus' | 'processingQueue' | 'counters' | 'updatedAt'
> & {
  /** "" before the first successful extract (proto3 strings cannot be null). */
  lastSuccessfulExtract: string;
  /** -1 when the mailbox has never been reached. */
  pop3MailboxQueue: number;
  /** Unset when there is no error. */
  lastError?: NonNullable<ConnectorStatusView['lastError']>;
};

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
