import type { ConnectorEntity } from '#persistence';

export const REDACTED = '[redacted]';

/** A journal service definition as the API shows it: the password is never returned. */
export interface ConnectorView {
  id: string;
  description: string;
  transportType: ConnectorEntity['transportType'];
  serviceEmailAddress: string;
  mailboxName: string;
  password: typeof REDACTED;
  host: string;
  port: number;
  encrypted: boolean;
  tlsTransport: ConnectorEntity['tlsTransport'];
  encryptionMode: ConnectorEntity['encryptionMode'];
  minTlsVersion: ConnectorEntity['minTlsVersion'];
  caCertificate: string | null;
  journalType: ConnectorEntity['journalType'];
  removeJournalHeaders: boolean;
  detailedLogging: boolean;
  journalNonInternalAddresses: boolean;
  journalUnknownInternalAddresses: boolean;
  suspended: boolean;
  allowEmptyDirectory: boolean;
  pollIntervalSeconds: number;
  maxMessagesPerSession: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

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
