import { createHash } from 'node:crypto';
import type { Pop3ConnectOptions, Pop3Transport } from '#pop3';
import type { CredentialCipher } from './credential-cipher.js';
import type { ConnectorEntity } from './entities/connector.entity.js';

/** The POP3 transport a connector's settings select (the seed's Encrypted option). */
export function transportOf(connector: Pick<ConnectorEntity, 'encrypted' | 'tlsTransport'>): Pop3Transport {
  if (!connector.encrypted) return 'plain';
  return connector.tlsTransport === 'starttls' ? 'stls' : 'pop3s';
}

/**
 * The mailbox a connector's extraction ledger speaks about: UIDLs are unique per mailbox only, so
 * pointing a connector at another host or mailbox name starts a fresh ledger scope. The migration
 * LedgerScope1765200000000 computes the same value in SQL for rows written before it.
 */
export function ledgerScopeOf(connector: Pick<ConnectorEntity, 'host' | 'mailboxName'>): string {
  return createHash('sha256').update(`${connector.host.toLowerCase()}\n${connector.mailboxName}`, 'utf8').digest('hex');
}

/** The seed's default port: 995 for POP3S, 110 otherwise. */
export function defaultPortOf(connector: Pick<ConnectorEntity, 'encrypted' | 'tlsTransport'>): number {
  return transportOf(connector) === 'pop3s' ? 995 : 110;
}

/** Connection options for a connector, with its password decrypted just for the connection. */
export function pop3OptionsFor(
  connector: ConnectorEntity,
  cipher: CredentialCipher,
  extra: {
    caBundle?: string;
    trace?: Pop3ConnectOptions['trace'];
    timeouts?: Pop3ConnectOptions['timeouts'];
    /** A password to try instead of the stored one (Test Journal Extraction of unsaved settings). */
    password?: string;
  } = {},
): Pop3ConnectOptions {
  const ca = [extra.caBundle, connector.caCertificate].filter((pem): pem is string => Boolean(pem)).join('\n');
  return {
    host: connector.host,
    port: connector.port,
    transport: transportOf(connector),
    tlsMode: connector.encryptionMode,
    minTlsVersion: connector.minTlsVersion,
    ...(ca ? { ca } : {}),
    username: connector.mailboxName,
    password: extra.password ?? cipher.decrypt(connector.passwordCiphertext, connector.id),
    ...(extra.trace ? { trace: extra.trace } : {}),
    ...(extra.timeouts ? { timeouts: extra.timeouts } : {}),
  };
}
