import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testEnv } from '#test-support';
import {
  apiClient,
  createConnector,
  dovecotConnector,
  startStatusHarness,
  startStatusService,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
  mailboxSh,
} from '../../support/status-harness.js';
import {
  endlessAnswer,
  pop3Mailbox,
  startScriptedServer,
  type ScriptedServer,
} from '../../support/pop3-scripted-server.js';

interface Report {
  connectorId: string;
  testedAt: string;
  ok: boolean;
  steps: Array<{
    step: string;
    ok: boolean;
    ms: number;
    detail?: string;
    tls?: { authorized: boolean; authorizationError: string | null; subject: string };
  }>;
  error?: { code: string; message: string };
  warnings: string[];
  mailbox?: { count: number; size: number };
}

describe('status API: Test Journal Extraction against the local Dovecot', () => {
  let db: PrivateDatabase;
  let withCa: StatusServiceHandle;
  let withoutCa: StatusServiceHandle;
  let api: ApiClient;
  let apiNoCa: ApiClient;
  const user = `jw-status-${randomBytes(4).toString('hex')}@journal.test`;
  const password = `pw-${randomUUID()}`;

  const connector = (client: ApiClient, overrides: Record<string, unknown>) =>
    createConnector(client, { ...dovecotConnector(user, password, 'extraction test'), ...overrides });
  const probe = async (client: ApiClient, id: string) => {
    const response = await client<Report>('POST', `/v1/connectors/${id}/test-extraction`);
    expect(response.status).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    let token: string;
    ({ db, status: withCa, api, token } = await startStatusHarness({ tokenName: 'extraction-tester' }));
    withoutCa = await startStatusService(db.url, { POP3_CA_FILE: '' });
    apiNoCa = apiClient(withoutCa.service.baseUrl, token);
    await mailboxSh('create', user, password);
    const message = join(tmpdir(), `jw-status-${randomUUID()}.eml`);
    writeFileSync(message, 'From: a@contoso.test\r\nTo: b@contoso.test\r\nSubject: probe\r\n\r\nleft in place\r\n');
    await mailboxSh('deliver', user, message);
  });

  afterAll(async () => {
    await Promise.all([withCa?.service.stop(), withoutCa?.service.stop()]);
    await db?.drop();
    await mailboxSh('delete', user).catch(() => undefined);
  });

  it('succeeds over POP3S in strict mode with the CA from POP3_CA_FILE, retrieving and deleting nothing', async () => {
    const id = await connector(api, {});
    const report = await probe(api, id);
    expect(report).toMatchObject({ connectorId: id, ok: true, mailbox: { count: 1 } });
    expect(report.error).toBeUndefined();
    expect(report.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['tcp', 'tls', 'greeting', 'authentication', 'stat']),
    );
    expect(report.steps.every((s) => s.ok && typeof s.ms === 'number')).toBe(true);
    expect(report.steps.find((s) => s.step === 'tls')?.tls).toMatchObject({
      authorized: true,
      authorizationError: null,
    });
    expect(await mailboxSh('count', user)).toBe('1');
    expect(JSON.stringify(report)).not.toContain(password);

    const events = await api<{ items: Array<{ action: string; actor: string; details: { ok: boolean } }> }>(
      'GET',
      `/v1/connectors/${id}/events`,
    );
    expect(events.body.items[0]).toMatchObject({
      action: 'test-extraction',
      actor: 'extraction-tester',
      details: { ok: true },
    });
  });

  it('succeeds with STLS on the plain port', async () => {
    const report = await probe(api, await connector(api, { tlsTransport: 'starttls', port: testEnv.pop3Port }));
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['greeting', 'stls', 'authentication', 'stat']),
    );
  });

  it('fails at the TCP step on a closed port', async () => {
    const report = await probe(api, await connector(api, { host: '127.0.0.1', port: await freePort() }));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('connection-refused');
    expect(report.steps.at(-1)).toMatchObject({ step: 'tcp', ok: false });
  });

  it('refuses the untrusted certificate in strict mode when no CA is configured', async () => {
    const report = await probe(apiNoCa, await connector(apiNoCa, {}));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('tls-untrusted');
    expect(report.steps.at(-1)).toMatchObject({ step: 'tls', ok: false });
  });

  it('accepts the same certificate in relaxed mode, reporting it as unverified', async () => {
    const report = await probe(apiNoCa, await connector(apiNoCa, { encryptionMode: 'relaxed' }));
    expect(report.ok).toBe(true);
    expect(report.steps.find((s) => s.step === 'tls')?.tls).toMatchObject({ authorized: false });
  });

  it("trusts the connector's own CA certificate in strict mode", async () => {
    const caCertificate = readFileSync(testEnv.pop3CaFile, 'utf8');
    const report = await probe(apiNoCa, await connector(apiNoCa, { caCertificate }));
    expect(report.ok).toBe(true);
  });

  it('refuses a certificate that does not name the host in strict mode', async () => {
    const report = await probe(api, await connector(api, { host: '127.0.0.2' }));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('tls-hostname');
    expect(await mailboxSh('count', user)).toBe('1');
  });

  it('shows an opted-in minTlsVersion below 1.2 as a warning in the definition, its status and test extraction', async () => {
    const id = await connector(api, { minTlsVersion: 'TLSv1' });
    const definition = await api('GET', `/v1/connectors/${id}`);
    expect(definition.body['minTlsVersion']).toBe('TLSv1');
    const status = await api<{ warnings: string[] }>('GET', `/v1/connectors/${id}/status`);
    expect(status.body.warnings).toEqual([expect.stringContaining('TLS versions down to TLSv1 are allowed')]);
    const report = await probe(api, id);
    expect(report.ok).toBe(true); // Dovecot still negotiates TLS 1.2 or newer
    expect(report.warnings).toEqual([expect.stringContaining('TLS versions down to TLSv1 are allowed')]);

    const modern = await connector(api, {});
    expect((await api('GET', `/v1/connectors/${modern}`)).body['minTlsVersion']).toBe('TLSv1.2');
    expect((await api<{ warnings: string[] }>('GET', `/v1/connectors/${modern}/status`)).body.warnings).toEqual([]);
    const refused = await api('PATCH', `/v1/connectors/${modern}`, { minTlsVersion: 'SSLv3' });
    expect(refused.status).toBe(400);
  });

  it('gives up on hostile servers an API user points it at: endless CAPA, trickled greeting', async () => {
    const servers: ScriptedServer[] = [];
    try {
      const endless = await startScriptedServer(
        pop3Mailbox({
          override: endlessAnswer('CAPA', `X-${'C'.repeat(1000)}\r\n`),
        }),
      );
      const trickle = await startScriptedServer((connection) => connection.trickle('+OK', 100));
      servers.push(endless, trickle);
      const plain = { host: '127.0.0.1', encrypted: false };
      const capa = await probe(api, await connector(api, { ...plain, port: endless.port }));
      expect(capa).toMatchObject({ ok: false, error: { code: 'response-too-large' } });
      expect(capa.steps.at(-1)).toMatchObject({ step: 'capabilities', ok: false });
      const slow = await probe(api, await connector(api, { ...plain, port: trickle.port }));
      expect(slow).toMatchObject({ ok: false, error: { code: 'deadline-exceeded' } });
      expect(slow.steps.at(-1)).toMatchObject({ step: 'greeting', ok: false });
    } finally {
      for (const server of servers) await server.close();
    }
  });

  // Last: Dovecot delays further logins from this address after a failed one.
  it('fails at authentication with a wrong password (200, ok:false)', async () => {
    const id = await connector(api, { password: 'definitely-wrong' });
    const report = await probe(api, id);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('authentication');
    expect(report.steps.at(-1)).toMatchObject({ step: 'authentication', ok: false });
    const events = await api<{ items: Array<{ action: string; details: { ok: boolean; error?: { code: string } } }> }>(
      'GET',
      `/v1/connectors/${id}/events`,
    );
    expect(events.body.items[0]).toMatchObject({
      action: 'test-extraction',
      details: { ok: false, error: { code: 'authentication' } },
    });
  });
});
