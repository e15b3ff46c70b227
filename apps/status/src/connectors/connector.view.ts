import { REDACTED, type ConnectorView } from '#contracts';
import type { ConnectorEntity } from '#persistence';

/** API field name → entity property, for every writable field except the password. */
export const ENTITY_PROPERTY = {
  description: 'description',
  transportType: 'transportType',
  serviceEmailAddress: 'serviceEmailAddress',
  mailboxName: 'mailboxName',
  host: 'host',
  port: 'port',
  encrypted: 'encrypted',
  tlsTransport: 'tlsTransport',
  encryptionMode: 'encryptionMode',
  minTlsVersion: 'minTlsVersion',
  caCertificate: 'caCertificate',
  journalType: 'journalType',
  removeJournalHeaders: 'removeJournalHeaders',
  detailedLogging: 'detailedLogging',
  journalNonInternalAddresses: 'journalNonInternal',
  journalUnknownInternalAddresses: 'journalUnknownInternal',
  suspended: 'suspended',
  allowEmptyDirectory: 'allowEmptyDirectory',
  pollIntervalSeconds: 'pollIntervalSeconds',
  maxMessagesPerSession: 'maxMessagesPerSession',
} as const satisfies Record<string, keyof ConnectorEntity>;

export type ApiField = keyof typeof ENTITY_PROPERTY;

export function toConnectorView(entity: ConnectorEntity): ConnectorView {
  return {
    id: entity.id,
    description: entity.description,
    transportType: entity.transportType,
    serviceEmailAddress: entity.serviceEmailAddress,
    mailboxName: entity.mailboxName,
    password: REDACTED,
    host: entity.host,
    port: entity.port,
    encrypted: entity.encrypted,
    tlsTransport: entity.tlsTransport,
    encryptionMode: entity.encryptionMode,
    minTlsVersion: entity.minTlsVersion,
    caCertificate: entity.caCertificate,
    journalType: entity.journalType,
    removeJournalHeaders: entity.removeJournalHeaders,
    detailedLogging: entity.detailedLogging,
    journalNonInternalAddresses: entity.journalNonInternal,
    journalUnknownInternalAddresses: entity.journalUnknownInternal,
    suspended: entity.suspended,
    allowEmptyDirectory: entity.allowEmptyDirectory,
    pollIntervalSeconds: entity.pollIntervalSeconds,
    maxMessagesPerSession: entity.maxMessagesPerSession,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
    version: entity.version,
  };
}
