/**
 * Issue 14.1: no API token can send a connector's stored password to a host of its choosing.
 * A legitimate scripted POP3 server holds the mailbox; an "attacker" server listens on another
 * address and port. Whatever the API is asked (PATCH, test extraction) and whatever the poller
 * does next, the attacker never receives a connection, and no server but the real one ever
 * sees the stored password (neither as PASS nor as AUTH PLAIN base64).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CREDENTIAL_DESTINATION_FIELDS, type ApiErrorBody } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorEntity, CredentialCipher } from '#persistence';
import { startService, TEST_CREDENTIAL_KEY, type RunningService, waitFor } from '#test-support';
import { pop3Mailbox, startScriptedServer, type ScriptedServer } from '../../support/pop3-scripted-server.js';
import {
  createConnector,
  startStatusHarness,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';

const RULE = 'password-required-for-destination-change';

describe('status API: the stored password never travels to a new destination', () => {
  const mailboxName = `journal-${randomUUID().slice(0, 8)}`;
  const password = `Stored-${randomUUID()}-Pa55`;
  const leaked = (line: string) =>
    line.includes(password) || line.includes(Buffer.from(`\0${mailboxName}\0${password}`).toString('base64'));
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  let real: ScriptedServer;
  let attacker: ScriptedServer;
  let tryout: ScriptedServer;
  let poller: RunningService | undefined;
  let id: string;

  beforeAll(async () => {
    ({ db, status, api } = await startStatusHarness({ tokenName: 'any-admin' }));
    real = await startScriptedServer(pop3Mailbox({ username: mailboxName, password }));
    // Another address (127.0.0.2) and another port: where a hostile token would point the connector.
    attacker = await startScriptedServer(pop3Mailbox({ username: mailboxName, password }), '127.0.0.2');
    tryout = await startScriptedServer(pop3Mailbox({ username: mailboxName, password: 'tried-password' }));
    id = await createConnector(api, {
      description: 'credential destination test',
      serviceEmailAddress: `${mailboxName}@contoso.test`,
      mailboxName,
      password,
      host: real.host,
      port: real.port,
      encrypted: false,
      suspended: true, // until the poller part
      allowEmptyDirectory: true, // this private database has no directory
    });
  });

  afterAll(async () => {
    await poller?.stop();
    await status?.service.stop();
    await Promise.all([real?.close(), attacker?.close(), tryout?.close()]);
    await db?.drop();
  });

  it('refuses the issue scenario at the PATCH: 400 naming the rule, nothing changed', async () => {
    const patched = await api<ApiErrorBody>('PATCH', `/v1/connectors/${id}`, {
      host: attacker.host,
      port: attacker.port,
      encrypted: false,
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error).toBe('validation');
    expect(patched.body.message).toContain(RULE);
    expect(patched.body.fields).toEqual([{ field: 'password', message: expect.stringContaining(RULE) }]);
    expect((await api('GET', `/v1/connectors/${id}`)).body).toMatchObject({ host: real.host, port: real.port });

    const report = await api<{ ok: boolean }>('POST', `/v1/connectors/${id}/test-extraction`);
    expect(report.status).toBe(200);
    expect(report.body.ok).toBe(true); // it went to the real server
  });

  it('requires the password for every destination setting, one at a time', async () => {
    const ca = readFileSync(process.env.POP3_CA_FILE ?? '/tmp/journalwire/dovecot/tls/ca.pem', 'utf8');
    const changes: Array<Record<string, unknown>> = [
      { host: attacker.host },
      { port: attacker.port },
      { encrypted: true },
      { tlsTransport: 'starttls' },
      { encryptionMode: 'relaxed' },
      { caCertificate: ca },
      { minTlsVersion: 'TLSv1' },
      { mailboxName: 'someone-else' },
    ];
    // A destination field added to the rule without a row here fails the test.
    expect(changes.flatMap((change) => Object.keys(change)).sort()).toEqual([...CREDENTIAL_DESTINATION_FIELDS].sort());
    for (const change of changes) {
      const response = await api<ApiErrorBody>('PATCH', `/v1/connectors/${id}`, change);
      expect(response.status, JSON.stringify(change).slice(0, 60)).toBe(400);
      expect(response.body.message).toContain(RULE);
    }
    // Settings that do not move the password need none.
    expect((await api('PATCH', `/v1/connectors/${id}`, { description: 'renamed' })).status).toBe(200);
  });

  it('refuses the redacted placeholder as a password and never stores it', async () => {
    for (const body of [
      { password: '[redacted]' },
      { password: '[redacted]', host: attacker.host, port: attacker.port },
    ]) {
      const response = await api<ApiErrorBody>('PATCH', `/v1/connectors/${id}`, body);
      expect(response.status).toBe(400);
      expect(response.body.fields?.[0]).toMatchObject({
        field: 'password',
        message: expect.stringMatching(/placeholder/),
      });
    }
    const refusedTry = await api<ApiErrorBody>('POST', `/v1/connectors/${id}/test-extraction`, {
      host: attacker.host,
      port: attacker.port,
      password: '[redacted]',
    });
    expect(refusedTry.status).toBe(400);
    const row = await db.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });
    expect(new CredentialCipher(TEST_CREDENTIAL_KEY).decrypt(row.passwordCiphertext, id)).toBe(password);
  });

  it('test extraction of unsaved settings needs the password; the stored one is never used elsewhere', async () => {
    const refused = await api<ApiErrorBody>('POST', `/v1/connectors/${id}/test-extraction`, {
      host: attacker.host,
      port: attacker.port,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain(RULE);

    const tried = await api<{ ok: boolean }>('POST', `/v1/connectors/${id}/test-extraction`, {
      host: tryout.host,
      port: tryout.port,
      password: 'tried-password',
    });
    expect(tried.status).toBe(200);
    expect(tried.body.ok).toBe(true);
    // Nothing was saved.
    expect((await api('GET', `/v1/connectors/${id}`)).body).toMatchObject({ host: real.host, port: real.port });
  });

  it('the next poll goes to the real server only; the attacker never hears from anyone', async () => {
    expect((await api('POST', `/v1/connectors/${id}/resume`)).status).toBe(200);
    const before = real.connections.length;
    poller = await startService('poller', {
      DATABASE_URL: db.url,
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      POLLER_CONNECTOR_IDS: id,
      POLL_TICK_MS: '200',
    });
    await waitFor(
      'a poll of the real server',
      async () => real.receivedLines().filter((line) => line.startsWith('STAT') || line.startsWith('UIDL')).length,
      { until: () => real.connections.length > before },
    );
    await poller.stop();

    expect(attacker.connections).toHaveLength(0);
    expect(attacker.receivedLines()).toEqual([]);
    expect(tryout.receivedLines().some(leaked)).toBe(false);
    expect(real.receivedLines().some(leaked)).toBe(true); // the real server did get it: the check is sound
    for (const file of [status.service.logFile, poller.logFile])
      expect(readFileSync(file, 'utf8').split('\n').some(leaked), file).toBe(false);
  });
});
