import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ConnectorEntity, CredentialCipher } from '#persistence';
import { testEnv, TEST_CREDENTIAL_KEY } from './env.js';

/** Connector fields a test may set; `password` is sealed with TEST_CREDENTIAL_KEY on insert. */
export type TestConnectorInput = Partial<
  Omit<ConnectorEntity, 'id' | 'passwordCiphertext' | 'createdAt' | 'updatedAt' | 'version'>
> & {
  mailboxName: string;
  password: string;
};

export function testCipher(): CredentialCipher {
  return new CredentialCipher(TEST_CREDENTIAL_KEY);
}

/**
 * Inserts a connector row directly (TypeORM, no API), its password encrypted the way the
 * services expect it. Defaults: the local Dovecot over POP3S, strict TLS, polled every second.
 */
export async function insertConnector(dataSource: DataSource, input: TestConnectorInput): Promise<ConnectorEntity> {
  const { password, ...fields } = input;
  const repository = dataSource.getRepository(ConnectorEntity);
  const id = randomUUID();
  const entity = repository.create({
    id,
    description: `test connector ${randomUUID().slice(0, 8)}`,
    serviceEmailAddress: `${input.mailboxName}@journal.test`,
    host: testEnv.pop3Host,
    port: testEnv.pop3sPort,
    encrypted: true,
    tlsTransport: 'implicit',
    encryptionMode: 'strict',
    caCertificate: null,
    journalType: 'envelope',
    pollIntervalSeconds: 1,
    maxMessagesPerSession: 500,
    // These connectors test extraction, not classification: they need no internal domain.
    allowEmptyDirectory: true,
    ...fields,
    passwordCiphertext: testCipher().encrypt(password, id),
  });
  return repository.save(entity);
}

/** Updates a connector row in place (e.g. suspend it). */
export async function updateConnector(
  dataSource: DataSource,
  id: string,
  changes: Partial<Omit<ConnectorEntity, 'id'>>,
): Promise<void> {
  await dataSource.getRepository(ConnectorEntity).update({ id }, changes);
}

/** Removes connectors (and the poller's ledger and failure rows for them). */
export async function deleteConnectors(dataSource: DataSource, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await dataSource.query('DELETE FROM extraction_ledger WHERE connector_id = ANY($1::uuid[])', [ids]);
  await dataSource.query('DELETE FROM retrieval_failures WHERE connector_id = ANY($1::uuid[])', [ids]);
  await dataSource.getRepository(ConnectorEntity).delete(ids);
}
