/**
 * Redis keys that one service writes and another reads, defined once. The poller holds both while
 * a connector's mail is on its way to Kafka; the status service refuses to delete the connector
 * while either exists.
 */

/** The mailbox lease: held for the whole POP3 session of a connector. */
export function pollerLeaseKey(connectorId: string): string {
  return `jw:lease:poller:${connectorId}`;
}

/** The in-flight marker: records handed to Kafka whose publication the ledger does not hold yet. */
export function pollerInFlightKey(connectorId: string): string {
  return `jw:poller:in-flight:${connectorId}`;
}
