import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ApiErrorBody } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorEntity, CredentialCipher } from '#persistence';
import { TEST_CREDENTIAL_KEY } from '#test-support';
import {
  createApiToken,
  startStatusHarness,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';

const uniq = () => randomUUID().slice(0, 8);

function connectorInput(overrides: Record<string, unknown> = {}) {
  const id = uniq();
  return {
    description: `api test ${id}`,
    serviceEmailAddress: `journal-${id}@contoso.test`,
    mailboxName: `journal-${id}@contoso.test`,
    password: `S3cret-${id}-pw`,
    host: 'mail.contoso.test',
    ...overrides,
  };
}

describe('status API: journal service definitions', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  const actor = `admin-${uniq()}`;
  const secrets: string[] = [];

  beforeAll(async () => {
    let token: string;
    ({ db, status, api, token } = await startStatusHarness({ tokenName: actor, env: { LOG_LEVEL: 'debug' } }));
    secrets.push(token);
  });

  afterAll(async () => {
    await status?.service.stop();
    await db?.drop();
  });

  describe('authentication', () => {
    it('refuses requests without a token, with an unknown one and with a revoked one', async () => {
      const missing = await api<ApiErrorBody>('GET', '/v1/connectors', undefined, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({
        error: 'unauthorized',
        message: expect.stringContaining('Authorization: Bearer'),
      });
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const unknown = await api<ApiErrorBody>('GET', '/v1/connectors', undefined, { token: 'jw_not-a-real-token' });
      expect(unknown.status).toBe(401);
      expect(unknown.body.message).toMatch(/invalid or revoked/i);

      const revoked = await createApiToken(db.dataSource, `revoked-${uniq()}`, { revoked: true });
      const refused = await api<ApiErrorBody>('GET', '/v1/status', undefined, { token: revoked });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('unauthorized');

      const malformed = await fetch(`${status.service.baseUrl}/v1/directory`, {
        headers: { authorization: 'Basic abc' },
      });
      expect(malformed.status).toBe(401);
    });

    it('serves health and the OpenAPI document without a token', async () => {
      expect((await fetch(`${status.service.baseUrl}/health/ready`)).status).toBe(200);
      expect((await fetch(`${status.service.baseUrl}/docs`)).status).toBe(200);
      const document = (await (await fetch(`${status.service.baseUrl}/docs-json`)).json()) as {
        paths: Record<string, unknown>;
        components: { schemas: Record<string, unknown> };
      };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/v1/connectors',
          '/v1/connectors/{id}',
          '/v1/connectors/{id}/test-extraction',
          '/v1/status',
          '/v1/directory/import',
        ]),
      );
      expect(document.components.schemas).toHaveProperty('CreateConnector');
      expect(document.components.schemas).toHaveProperty('ConnectorStatus');
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/tokens', '/v1/audit']));
      // Every $ref resolves to a named schema.
      const refs = [...JSON.stringify(document).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
      for (const name of new Set(refs)) expect(document.components.schemas, name).toHaveProperty(name);
    });
  });

  describe('CRUD', () => {
    it('creates with the seed defaults, reads, lists, patches and deletes', async () => {
      const input = connectorInput();
      const created = await api('POST', '/v1/connectors', input);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        description: input.description,
        transportType: 'pop3',
        serviceEmailAddress: input.serviceEmailAddress,
        mailboxName: input.mailboxName,
        password: '[redacted]',
        host: 'mail.contoso.test',
        port: 995,
        encrypted: true,
        tlsTransport: 'implicit',
        encryptionMode: 'strict',
        caCertificate: null,
        journalType: 'envelope',
        removeJournalHeaders: false,
        detailedLogging: false,
        journalNonInternalAddresses: false,
        journalUnknownInternalAddresses: false,
        suspended: false,
        pollIntervalSeconds: 60,
        maxMessagesPerSession: 500,
      });
      const id = created.body['id'] as string;

      const read = await api('GET', `/v1/connectors/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);

      const list = await api<{ items: Array<{ id: string; password: string }> }>('GET', '/v1/connectors');
      expect(list.body.items.find((c) => c.id === id)).toMatchObject({ id, password: '[redacted]' });

      const patched = await api('PATCH', `/v1/connectors/${id}`, {
        journalType: 'eml',
        removeJournalHeaders: true,
        journalNonInternalAddresses: true,
        pollIntervalSeconds: 30,
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        journalType: 'eml',
        removeJournalHeaders: true,
        journalNonInternalAddresses: true,
        pollIntervalSeconds: 30,
        port: 995,
      });
      expect(patched.body['version']).toBeGreaterThan(created.body['version'] as number);

      expect((await api('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
      const gone = await api<ApiErrorBody>('GET', `/v1/connectors/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual({
        error: 'not-found',
        message: `No journal service definition (connector) with id ${id}`,
      });
    });

    it('defaults the port by transport (995 implicit TLS, 110 STLS or plain) and keeps an explicit one', async () => {
      expect((await api('POST', '/v1/connectors', connectorInput({ tlsTransport: 'starttls' }))).body['port']).toBe(
        110,
      );
      expect((await api('POST', '/v1/connectors', connectorInput({ encrypted: false }))).body['port']).toBe(110);
      expect(
        (await api('POST', '/v1/connectors', connectorInput({ port: 2995, host: '192.0.2.10' }))).body,
      ).toMatchObject({ port: 2995, host: '192.0.2.10' });
      expect((await api('POST', '/v1/connectors', connectorInput({ host: '2001:db8::5' }))).status).toBe(201);

      // A port at its default follows a transport change; an explicit one stays.
      const created = await api('POST', '/v1/connectors', connectorInput());
      const moved = await api('PATCH', `/v1/connectors/${created.body['id']}`, {
        tlsTransport: 'starttls',
        password: 'Moved-pw-1',
      });
      expect(moved.body['port']).toBe(110);
      const custom = await api('POST', '/v1/connectors', connectorInput({ port: 1995 }));
      const plain = await api('PATCH', `/v1/connectors/${custom.body['id']}`, {
        encrypted: false,
        password: 'Plain-pw-1',
      });
      expect(plain.body['port']).toBe(1995);
    });

    it('answers 404 for unknown ids on every route', async () => {
      const id = randomUUID();
      for (const [method, path] of [
        ['GET', `/v1/connectors/${id}`],
        ['PATCH', `/v1/connectors/${id}`],
        ['DELETE', `/v1/connectors/${id}`],
        ['POST', `/v1/connectors/${id}/suspend`],
        ['POST', `/v1/connectors/${id}/resume`],
        ['GET', `/v1/connectors/${id}/events`],
        ['POST', `/v1/connectors/${id}/test-extraction`],
        ['GET', `/v1/connectors/${id}/status`],
        ['GET', '/v1/connectors/not-a-uuid'],
      ] as const) {
        const response = await api<ApiErrorBody>(method, path, method === 'PATCH' ? { description: 'x' } : undefined);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(response.body.error).toBe('not-found');
        expect(response.body.message).toMatch(/No journal service definition/);
      }
    });
  });

  describe('validation', () => {
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['port above range', { port: 70000 }, 'port', /1-65535/],
      ['port zero', { port: 0 }, 'port', /1-65535/],
      ['port not an integer', { port: 99.5 }, 'port', /integer/],
      ['port as a string', { port: '995' }, 'port', /integer/],
      ['host with bad characters', { host: 'mail_server!.contoso' }, 'host', /host name/],
      ['host as an invalid IPv4', { host: '300.1.1.1' }, 'host', /host name/],
      [
        'service e-mail address',
        { serviceEmailAddress: 'journal.contoso.com' },
        'serviceEmailAddress',
        /e-mail address/,
      ],
      ['transport type', { transportType: 'imap' }, 'transportType', /one of: pop3/],
      ['TLS transport', { tlsTransport: 'ssl' }, 'tlsTransport', /implicit, starttls/],
      ['encryption mode', { encryptionMode: 'lax' }, 'encryptionMode', /strict, relaxed/],
      ['journal type', { journalType: 'mbox' }, 'journalType', /envelope, eml/],
      ['boolean option', { encrypted: 'yes' }, 'encrypted', /true or false/],
      ['CA certificate', { caCertificate: 'not a certificate' }, 'caCertificate', /PEM/],
      ['poll interval', { pollIntervalSeconds: 0 }, 'pollIntervalSeconds', /5-86400/],
      ['messages per session', { maxMessagesPerSession: -1 }, 'maxMessagesPerSession', /1-100000/],
      ['empty description', { description: '  ' }, 'description', /not empty/],
      ['password with a line break', { password: 'a\r\nDELE 1' }, 'password', /line breaks/],
      ['unknown field', { colour: 'blue' }, 'colour', /unknown field/],
    ];

    for (const [name, overrides, field, message] of cases) {
      it(`rejects ${name} (400, names ${field})`, async () => {
        const response = await api<ApiErrorBody>('POST', '/v1/connectors', connectorInput(overrides));
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('validation');
        expect(response.body.fields).toEqual([{ field, message: expect.stringMatching(message) }]);
      });
    }

    it('names every bad field at once, missing ones included', async () => {
      const response = await api<ApiErrorBody>('POST', '/v1/connectors', {
        host: 'bad host',
        port: 123456,
        extra: 1,
        another: 2,
      });
      expect(response.status).toBe(400);
      const fields = Object.fromEntries((response.body.fields ?? []).map((f) => [f.field, f.message]));
      expect(fields).toMatchObject({
        description: 'is required',
        serviceEmailAddress: 'is required',
        mailboxName: 'is required',
        password: 'is required',
        host: expect.stringMatching(/host name/),
        port: expect.stringMatching(/1-65535/),
        extra: 'unknown field',
        another: 'unknown field',
      });
      expect(response.body.message).toContain('port:');
    });

    it('validates patches the same way and refuses an empty one', async () => {
      const created = await api('POST', '/v1/connectors', connectorInput());
      const id = created.body['id'] as string;
      const bad = await api<ApiErrorBody>('PATCH', `/v1/connectors/${id}`, {
        port: -5,
        encryptionMode: 'none',
        id: 'x',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.fields?.map((f) => f.field).sort()).toEqual(['encryptionMode', 'id', 'port']);
      const empty = await api<ApiErrorBody>('PATCH', `/v1/connectors/${id}`, {});
      expect(empty.status).toBe(400);
      expect(empty.body.message).toMatch(/at least one field/);
    });

    it('answers malformed JSON and bad paging with 400 in the same format', async () => {
      const response = await fetch(`${status.service.baseUrl}/v1/connectors`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets[0]}`, 'content-type': 'application/json' },
        body: '{"description": ',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'validation', message: expect.stringMatching(/JSON/) });

      const created = await api('POST', '/v1/connectors', connectorInput());
      const paging = await api<ApiErrorBody>('GET', `/v1/connectors/${created.body['id']}/events?page=0&pageSize=1000`);
      expect(paging.status).toBe(400);
      expect(paging.body.fields?.map((f) => f.field).sort()).toEqual(['page', 'pageSize']);
    });
  });

  describe('the password', () => {
    it('is write-only, stored sealed with the credential key, and never logged', async () => {
      const password = `Very-Secret-${uniq()}-Pa55`;
      secrets.push(password);
      const created = await api('POST', '/v1/connectors', connectorInput({ password }));
      const id = created.body['id'] as string;
      expect(JSON.stringify(created.body)).not.toContain(password);
      expect(created.body['password']).toBe('[redacted]');

      const row = await db.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });
      expect(row.passwordCiphertext).not.toContain(password);
      expect(new CredentialCipher(TEST_CREDENTIAL_KEY).decrypt(row.passwordCiphertext, id)).toBe(password);

      const newPassword = `Rotated-${uniq()}-Pa55`;
      secrets.push(newPassword);
      const patched = await api('PATCH', `/v1/connectors/${id}`, { password: newPassword });
      expect(patched.body['password']).toBe('[redacted]');
      const rotated = await db.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });
      expect(new CredentialCipher(TEST_CREDENTIAL_KEY).decrypt(rotated.passwordCiphertext, id)).toBe(newPassword);

      // A validation error about another field does not echo the password either.
      const invalid = await api('POST', '/v1/connectors', connectorInput({ password, port: 0 }));
      expect(JSON.stringify(invalid.body)).not.toContain(password);

      const events = await api<{ items: Array<{ details: unknown }> }>('GET', `/v1/connectors/${id}/events`);
      expect(JSON.stringify(events.body)).not.toContain(password);
      expect(JSON.stringify(events.body)).not.toContain(newPassword);
      expect(events.body.items[0]!.details).toEqual({ changes: [{ field: 'password', changed: true }] });
    });
  });

  describe('suspension and the event log', () => {
    it('logs creation, changes, suspend and resume with the actor, time and changed fields', async () => {
      const before = Date.now();
      const created = await api('POST', '/v1/connectors', connectorInput());
      const id = created.body['id'] as string;

      const suspended = await api('POST', `/v1/connectors/${id}/suspend`);
      expect(suspended.status).toBe(200);
      expect(suspended.body['suspended']).toBe(true);
      // Suspending a suspended definition changes nothing and logs nothing.
      expect((await api('POST', `/v1/connectors/${id}/suspend`)).body['suspended']).toBe(true);
      expect((await api('POST', `/v1/connectors/${id}/resume`)).body['suspended']).toBe(false);
      expect((await api('PATCH', `/v1/connectors/${id}`, { suspended: true })).body['suspended']).toBe(true);
      const movedPassword = `Moved-${uniq()}-Pa55`;
      secrets.push(movedPassword);
      await api('PATCH', `/v1/connectors/${id}`, {
        suspended: false,
        host: '192.0.2.44',
        port: 1995,
        password: movedPassword,
      });

      const events = await api<{
        items: Array<{ id: string; at: string; actor: string; action: string; details: { changes?: unknown[] } }>;
        total: number;
        page: number;
        pageSize: number;
      }>('GET', `/v1/connectors/${id}/events`);
      expect(events.status).toBe(200);
      expect(events.body.items.map((e) => e.action)).toEqual([
        'updated',
        'suspended',
        'resumed',
        'suspended',
        'created',
      ]);
      expect(events.body.total).toBe(5);
      for (const event of events.body.items) {
        expect(event.actor).toBe(actor);
        expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before - 1000);
      }
      expect(events.body.items[0]!.details.changes).toEqual([
        { field: 'host', from: 'mail.contoso.test', to: '192.0.2.44' },
        { field: 'port', from: 995, to: 1995 },
        { field: 'suspended', from: true, to: false },
        { field: 'password', changed: true },
      ]);
      expect(events.body.items[1]!.details.changes).toEqual([{ field: 'suspended', from: false, to: true }]);
      expect(events.body.items[4]!.details.changes).toEqual(
        expect.arrayContaining([
          { field: 'description', from: null, to: created.body['description'] },
          { field: 'password', changed: true },
        ]),
      );

      const page2 = await api<{ items: Array<{ action: string }>; page: number; pageSize: number; total: number }>(
        'GET',
        `/v1/connectors/${id}/events?page=2&pageSize=2`,
      );
      expect(page2.body).toMatchObject({ page: 2, pageSize: 2, total: 5 });
      expect(page2.body.items.map((e) => e.action)).toEqual(['resumed', 'suspended']);

      await api('DELETE', `/v1/connectors/${id}`);
      const rows: Array<{ action: string; actor: string }> = await db.dataSource.query(
        'SELECT action, actor FROM connector_events WHERE connector_id = $1 ORDER BY id DESC LIMIT 1',
        [id],
      );
      expect(rows[0]).toEqual({ action: 'deleted', actor });
    });
  });

  it('shuts down cleanly on SIGTERM and never writes a password or a token to its log', async () => {
    const started = Date.now();
    await status.service.stop(15_000);
    expect(Date.now() - started).toBeLessThan(15_000); // not SIGKILLed
    const log = readFileSync(status.service.logFile, 'utf8');
    expect(log).toContain('status aggregator stopped');
    expect(log).toContain('status: connections closed');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
