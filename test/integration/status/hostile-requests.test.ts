/**
 * Issue 14.7: a property test drives the running status service with generated bad requests
 * (wrong types, huge strings, unknown fields, malformed JSON, missing, wrong-scope, revoked and
 * garbage tokens) on every route, and gRPC calls and watches with such tokens: never a 5xx (or an
 * internal gRPC status), never a secret in a response or a log line.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TEST_CREDENTIAL_KEY, waitFor } from '#test-support';
import { bearer, call, statusGrpcClient } from '../../support/status-grpc.js';
import { documentedOperations } from '../../support/documented-routes.js';
import { rejectedRecord, testProducer } from '../../support/status-records.js';
import {
  createApiToken,
  startStatusHarness,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';

const FIELDS = [
  'description',
  'transportType',
  'serviceEmailAddress',
  'mailboxName',
  'password',
  'port',
  'encrypted',
  'tlsTransport',
  'encryptionMode',
  'caCertificate',
  'journalType',
  'suspended',
  'pollIntervalSeconds',
  'domain',
  'includeSubdomains',
  'address',
  'displayName',
  'aliases',
  'domains',
  'addresses',
  'name',
  'scope',
  'expiresAt',
  'expiresInDays',
  '__proto__',
  'constructor',
];

/** A value of the wrong kind, or of the right kind but absurd. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ maxLength: 50 }),
  fc.constantFrom('[redacted]', '', ' ', '\r\n', '\0', '-----BEGIN CERTIFICATE-----', 'ä'.repeat(300), 'NaN'),
  fc.integer({ min: 1, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => `a${i}@contoso.test`)),
  fc.double(),
  fc.constantFrom(-1, 0, 65536, 2 ** 53, Number.MAX_VALUE, true, null, [], {}),
);

const body: fc.Arbitrary<{ text?: string; contentType?: string }> = fc.oneof(
  fc.record({
    text: fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  }),
  fc.record({
    text: fc.dictionary(fc.string({ maxLength: 20 }), hostileValue, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  }),
  fc.record({ text: fc.string({ maxLength: 200 }) }), // malformed JSON
  fc.record({ text: fc.jsonValue().map((v) => JSON.stringify(v)) }),
  fc.record({
    text: fc.oneof(fc.string({ maxLength: 300 }), fc.constant('domain,"unclosed\n'.repeat(50))),
    contentType: fc.constantFrom('text/csv', 'text/plain', 'application/xml', 'application/json; charset=latin1'),
  }),
  fc.constant({}),
);

describe('status API under generated hostile requests', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  const password = `Hostile-Secret-${randomUUID()}`;
  let tokens: Record<string, string>;
  let secrets: string[];
  let connectorId: string;
  let outcomeId: string;
  let victimTokenId: string;

  beforeAll(async () => {
    let admin: ApiClient;
    let adminToken: string;
    ({
      db,
      status,
      api: admin,
      token: adminToken,
    } = await startStatusHarness({
      tokenName: 'prop-admin',
      tokenOptions: { scope: 'admin' },
      env: { AUTH_FAILURE_LIMIT: '1000000', TEST_EXTRACTION_TIMEOUT_MS: '1000', LOG_LEVEL: 'debug' },
    }));
    tokens = {
      admin: adminToken,
      operate: await createApiToken(db.dataSource, 'prop-operate', { scope: 'operate' }),
      read: await createApiToken(db.dataSource, 'prop-read', { scope: 'read' }),
      revoked: await createApiToken(db.dataSource, 'prop-revoked', { scope: 'admin', revoked: true }),
      expired: await createApiToken(db.dataSource, 'prop-expired', { expiresAt: new Date(Date.now() - 1) }),
    };
    // A token the generated requests may read and revoke (none of them authenticates with it).
    const victim = await admin<{ id: string; token: string }>('POST', '/v1/tokens', {
      name: 'prop-victim',
      scope: 'read',
    });
    victimTokenId = victim.body.id;
    const created = await admin('POST', '/v1/connectors', {
      description: 'hostile target',
      serviceEmailAddress: 'journal@contoso.test',
      mailboxName: 'journal',
      password,
      host: '127.0.0.1',
      port: await freePort(), // closed: test extraction fails fast
      encrypted: false,
      suspended: true,
    });
    connectorId = created.body['id'] as string;
    // A replayable outcome: a rejection of the connector, as the status service lists it.
    const { kafka, producer } = await testProducer();
    await producer.send([rejectedRecord(connectorId)]);
    await producer.disconnect();
    await kafka.closeAdmin();
    outcomeId = (
      await waitFor(
        'the rejection listed',
        () => admin<{ items: Array<{ id: string }> }>('GET', `/v1/connectors/${connectorId}/outcomes?type=rejected`),
        { until: (r) => r.body.items.length === 1 },
      )
    ).body.items[0]!.id;
    secrets = [
      password,
      Buffer.from(`\0journal\0${password}`).toString('base64'),
      TEST_CREDENTIAL_KEY,
      ...Object.values(tokens),
      victim.body.token,
    ];
  });

  afterAll(async () => {
    await status?.service.stop();
    await db?.drop();
  });

  it('REST: never a 5xx, never a secret in a response', async () => {
    const paths = [
      '/v1/connectors',
      () => `/v1/connectors/${connectorId}`,
      () => `/v1/connectors/${connectorId}/events`,
      () => `/v1/connectors/${connectorId}/audit`,
      () => `/v1/connectors/${connectorId}/status`,
      () => `/v1/connectors/${connectorId}/suspend`,
      () => `/v1/connectors/${connectorId}/resume`,
      () => `/v1/connectors/${connectorId}/test-extraction`,
      () => `/v1/connectors/${connectorId}/protocol-log`,
      () => `/v1/connectors/${connectorId}/outcomes`,
      () => `/v1/connectors/${connectorId}/outcomes?type=rejected`,
      () => `/v1/connectors/${connectorId}/outcomes/${encodeURIComponent(outcomeId)}/replay`,
      () => `/v1/connectors/${connectorId}/outcomes/dead-lettered:${Number.MAX_SAFE_INTEGER}9/replay`,
      () => `/v1/connectors/${connectorId}/outcomes/skipped:%00/replay`,
      () => `/v1/connectors/${randomUUID()}/outcomes/rejected:1/replay`,
      '/v1/status',
      '/v1/directory',
      '/v1/directory/domains',
      '/v1/directory/addresses',
      '/v1/directory/import',
      '/v1/directory/domains/contoso.test',
      '/v1/directory/addresses/a@contoso.test',
      '/v1/tokens',
      () => `/v1/tokens/${victimTokenId}`,
      () => `/v1/tokens/${victimTokenId}/revoke`,
      () => `/v1/tokens/${randomUUID()}/revoke`,
      '/v1/tokens/not-a-token/revoke',
      '/v1/audit',
      '/v1/nowhere',
    ];
    // Every documented route is among the generated requests' paths (a new route without one fails).
    const concrete = paths.map((path) => (typeof path === 'function' ? path() : path).replace(/\?.*$/, ''));
    for (const operation of await documentedOperations(status.service.baseUrl)) {
      const template = operation.slice(operation.indexOf(' ') + 1);
      if (!template.startsWith('/v1/')) continue;
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      expect(
        concrete.some((path) => pattern.test(path)),
        `${template} has a generated path`,
      ).toBe(true);
    }
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'),
      path: fc.constantFrom(...paths),
      suffix: fc.oneof(
        fc.constant(''),
        fc.webSegment().map((s) => `/${s}`),
        fc.webQueryParameters().map((q) => `?${q}`),
        fc.constantFrom('?page=0', '?pageSize=100000', '?force=yes', '?mode=drop', '?connectorId=x&action=%00'),
      ),
      token: fc.oneof(
        fc.constantFrom('admin', 'operate', 'read', 'revoked', 'expired', 'none'),
        fc.string({ maxLength: 80 }).map((s) => `raw:${s}`),
      ),
      body,
    });
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, suffix, token, body: payload }) => {
        const url = `${status.service.baseUrl}${typeof path === 'function' ? path() : path}${suffix}`;
        const headers: Record<string, string> = {};
        if (token.startsWith('raw:')) headers['authorization'] = token.slice(4).replace(/[\r\n\0]/g, '');
        else if (token !== 'none') headers['authorization'] = `Bearer ${tokens[token]}`;
        const hasBody = payload.text !== undefined && method !== 'GET';
        if (hasBody) headers['content-type'] = payload.contentType ?? 'application/json';
        const response = await fetch(url, { method, headers, ...(hasBody ? { body: payload.text } : {}) });
        const text = await response.text();
        seen.add(response.status);
        expect(response.status, `${method} ${url.slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        for (const secret of secrets) expect(text.includes(secret), `${method} ${url} leaked a secret`).toBe(false);
      }),
      { numRuns: 400, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31) },
    );
    // The requests reached every layer: authentication, scopes, routing, validation, handlers.
    for (const status of [200, 400, 401, 403, 404]) expect([...seen]).toContain(status);
  });

  it('REST: a body beyond the limit and a huge header are refused without a 5xx', async () => {
    const big = await fetch(`${status.service.baseUrl}/v1/connectors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['admin']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'x'.repeat(11 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    const header = await fetch(`${status.service.baseUrl}/v1/status`, {
      headers: { authorization: `Bearer ${'x'.repeat(60_000)}` },
    }).catch(() => null);
    if (header) expect(header.status).toBeLessThan(500);
  });

  it('gRPC: never INTERNAL or UNKNOWN, whatever the ids and the token', async () => {
    const client = statusGrpcClient(status.grpcAddress);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(connectorId), fc.uuid()), { maxLength: 20 }),
          fc.constantFrom('admin', 'read', 'revoked', 'expired', 'none', 'garbage'),
          async (ids, token) => {
            const metadata = bearer(token === 'none' ? null : (tokens[token] ?? 'jw_garbage'));
            try {
              await call(client.GetConnectorStatus, client, { connectorId: ids[0] ?? '' }, metadata);
            } catch (error) {
              expect([GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN]).not.toContain((error as ServiceError).code);
              for (const secret of secrets) expect((error as Error).message).not.toContain(secret);
            }
          },
        ),
        { numRuns: 100 },
      );
      // An open watch with a token that does not authenticate: ended at once, never internally.
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(connectorId), fc.uuid()), { maxLength: 20 }),
          fc.oneof(
            fc.constantFrom('revoked', 'expired', 'none'),
            fc.stringMatching(/^[\x21-\x7e]{0,80}$/).map((garbage) => `raw:${garbage}`),
          ),
          async (ids, token) => {
            const raw = token.startsWith('raw:') ? token.slice(4) : undefined;
            const metadata = bearer(token === 'none' ? null : (raw ?? tokens[token]!));
            const stream = client.WatchConnectorStatus({ connectorIds: ids }, metadata);
            const error = await new Promise<ServiceError>((resolve, reject) => {
              stream.on('error', resolve);
              stream.on('data', () => reject(new Error(`a watch with the ${token} token received a status`)));
            });
            expect(error.code, `${token}: ${error.message}`).toBe(GrpcStatus.UNAUTHENTICATED);
            const said = `${error.message} ${error.details} ${JSON.stringify(error.metadata?.getMap() ?? {})}`;
            for (const secret of secrets) expect(said.includes(secret), `${token} leaked a secret`).toBe(false);
          },
        ),
        { numRuns: 100 },
      );
      const many = Array.from({ length: 2000 }, () => randomUUID());
      const stream = client.WatchConnectorStatus({ connectorIds: many }, bearer(tokens['read']!));
      const error = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });

  it('never writes a secret to its log', async () => {
    await status.service.stop();
    const log = readFileSync(status.service.logFile, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(log.includes(secret)).toBe(false);
    expect(log).not.toMatch(/"level":50/); // no error lines: nothing failed inside
  });
});
