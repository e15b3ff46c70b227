/**
 * Issue 14.2, 14.3 and 13.8 against a running status service: token scopes at every boundary
 * (REST and gRPC), token management through the API and the CLI, expiry, last use, a revoked
 * token ending an open watch, failed authentications rate-limited per address, the audit log,
 * and DELETE refusing a connector whose mail is still in flight (its processing queue, a running
 * poller session, a batch the poller has not confirmed).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { pollerInFlightKey, pollerLeaseKey, type ApiErrorBody } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReliableProducer } from '#kafka';
import { waitFor } from '#test-support';
import { bearer, call, statusGrpcClient, type GrpcConnectorStatus } from '../../support/status-grpc.js';
import {
  apiClient,
  createApiToken,
  startStatusHarness,
  startStatusService,
  statusRedis,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';
import { documentedOperations } from '../../support/documented-routes.js';
import { rawRecord, rejectedRecord, testProducer } from '../../support/status-records.js';

const run = promisify(execFile);

interface TokenView {
  id: string;
  name: string;
  scope: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  token?: string;
}
interface AuditEvent {
  actor: { tokenId: string | null; name: string; address: string | null };
  action: string;
  target: { type: string; id: string | null };
  connectorId: string | null;
  details: Record<string, unknown>;
}

function connectorInput() {
  const id = randomUUID().slice(0, 8);
  return {
    description: `access ${id}`,
    serviceEmailAddress: `journal-${id}@contoso.test`,
    mailboxName: `journal-${id}`,
    password: `Pw-${randomUUID()}`,
    host: '192.0.2.9',
    suspended: true,
  };
}

describe('status API: scopes, token management, audit log, in-flight deletion', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let admin: ApiClient;
  let producer: ReliableProducer;
  const tokens: Record<'read' | 'operate' | 'admin', string> = { read: '', operate: '', admin: '' };

  beforeAll(async () => {
    ({
      db,
      status,
      api: admin,
    } = await startStatusHarness({
      tokenName: 'root-admin',
      env: { TOKEN_RECHECK_MS: '500', AUTH_FAILURE_LIMIT: '50' },
    }));
    ({ producer } = await testProducer());
    for (const scope of ['read', 'operate', 'admin'] as const) {
      const created = await admin<TokenView>('POST', '/v1/tokens', { name: `${scope}-token`, scope });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ scope, revokedAt: null, expiresAt: null });
      tokens[scope] = created.body.token!;
    }
  });

  afterAll(async () => {
    await producer?.disconnect();
    await status?.service.stop();
    await db?.drop();
  });

  it('enforces each scope boundary on every REST route the service documents: read < operate < admin', async () => {
    const connector = (await admin('POST', '/v1/connectors', connectorInput())).body['id'] as string;
    const as = (scope: keyof typeof tokens) => apiClient(status.service.baseUrl, tokens[scope]);
    const created = async (path: string, body: unknown, field = 'id') => {
      const response = await admin<Record<string, string>>('POST', path, body);
      expect(response.status, `POST ${path}`).toBe(201);
      return encodeURIComponent(response.body[field]!);
    };
    // Throwaway resources: each attempt a destructive route makes gets its own.
    const throwawayConnector = () => created('/v1/connectors', connectorInput());
    const throwawayDomain = () =>
      created('/v1/directory/domains', { domain: `d${randomUUID().slice(0, 8)}.test` }, 'domain');
    const throwawayAddress = () =>
      created('/v1/directory/addresses', { address: `a${randomUUID().slice(0, 8)}@scoped.test` }, 'address');
    const throwawayToken = () =>
      created('/v1/tokens', { name: `throwaway-${randomUUID().slice(0, 8)}`, scope: 'read' });
    const domain = await throwawayDomain();
    const address = await throwawayAddress();
    const tokenId = await throwawayToken();
    // A replayable outcome per attempt (without a token, read, operate, admin): rejections of the
    // connector, listed by the status service.
    await producer.send(Array.from({ length: 4 }, () => rejectedRecord(connector)));
    const rejections = (
      await waitFor(
        'four rejections listed',
        () => admin<{ items: Array<{ id: string }> }>('GET', `/v1/connectors/${connector}/outcomes?type=rejected`),
        { until: (r) => r.body.items.length === 4 },
      )
    ).body.items.map((item) => encodeURIComponent(item.id));

    type Needs = keyof typeof tokens | 'none';
    type Request = { path: string; body?: unknown };
    /** Each documented operation (OpenAPI path) with the scope it needs and a fresh request for each attempt. */
    const routes: Record<string, { needs: Needs; request: () => Request | Promise<Request> }> = {
      'GET /health/live': { needs: 'none', request: () => ({ path: '/health/live' }) },
      'GET /health/ready': { needs: 'none', request: () => ({ path: '/health/ready' }) },
      'GET /metrics': { needs: 'none', request: () => ({ path: '/metrics' }) },
      'GET /v1/status': { needs: 'read', request: () => ({ path: '/v1/status' }) },
      'GET /v1/audit': { needs: 'read', request: () => ({ path: '/v1/audit' }) },
      'GET /v1/connectors': { needs: 'read', request: () => ({ path: '/v1/connectors' }) },
      'POST /v1/connectors': { needs: 'admin', request: () => ({ path: '/v1/connectors', body: connectorInput() }) },
      'GET /v1/connectors/{id}': { needs: 'read', request: () => ({ path: `/v1/connectors/${connector}` }) },
      'PATCH /v1/connectors/{id}': {
        needs: 'admin',
        request: () => ({ path: `/v1/connectors/${connector}`, body: { description: 'x' } }),
      },
      'DELETE /v1/connectors/{id}': {
        needs: 'admin',
        request: async () => ({ path: `/v1/connectors/${await throwawayConnector()}` }),
      },
      'GET /v1/connectors/{id}/status': {
        needs: 'read',
        request: () => ({ path: `/v1/connectors/${connector}/status` }),
      },
      'GET /v1/connectors/{id}/events': {
        needs: 'read',
        request: () => ({ path: `/v1/connectors/${connector}/events` }),
      },
      'GET /v1/connectors/{id}/audit': {
        needs: 'read',
        request: () => ({ path: `/v1/connectors/${connector}/audit` }),
      },
      'GET /v1/connectors/{id}/protocol-log': {
        needs: 'read',
        request: () => ({ path: `/v1/connectors/${connector}/protocol-log` }),
      },
      'GET /v1/connectors/{id}/outcomes': {
        needs: 'read',
        request: () => ({ path: `/v1/connectors/${connector}/outcomes?type=rejected` }),
      },
      'POST /v1/connectors/{id}/outcomes/{outcomeId}/replay': {
        needs: 'operate',
        request: () => ({ path: `/v1/connectors/${connector}/outcomes/${rejections.shift()!}/replay` }),
      },
      'POST /v1/connectors/{id}/suspend': {
        needs: 'operate',
        request: () => ({ path: `/v1/connectors/${connector}/suspend` }),
      },
      'POST /v1/connectors/{id}/resume': {
        needs: 'operate',
        request: () => ({ path: `/v1/connectors/${connector}/resume` }),
      },
      'POST /v1/connectors/{id}/test-extraction': {
        needs: 'operate',
        request: () => ({ path: `/v1/connectors/${connector}/test-extraction` }),
      },
      'GET /v1/directory': { needs: 'read', request: () => ({ path: '/v1/directory' }) },
      'POST /v1/directory/import': {
        needs: 'admin',
        request: () => ({ path: '/v1/directory/import', body: { domains: ['imported.test'] } }),
      },
      'GET /v1/directory/domains': { needs: 'read', request: () => ({ path: '/v1/directory/domains' }) },
      'POST /v1/directory/domains': {
        needs: 'admin',
        request: () => ({ path: '/v1/directory/domains', body: { domain: `d${randomUUID().slice(0, 8)}.test` } }),
      },
      'GET /v1/directory/domains/{domain}': {
        needs: 'read',
        request: () => ({ path: `/v1/directory/domains/${domain}` }),
      },
      'PATCH /v1/directory/domains/{domain}': {
        needs: 'admin',
        request: () => ({ path: `/v1/directory/domains/${domain}`, body: { includeSubdomains: true } }),
      },
      'DELETE /v1/directory/domains/{domain}': {
        needs: 'admin',
        request: async () => ({ path: `/v1/directory/domains/${await throwawayDomain()}` }),
      },
      'GET /v1/directory/addresses': { needs: 'read', request: () => ({ path: '/v1/directory/addresses' }) },
      'POST /v1/directory/addresses': {
        needs: 'admin',
        request: () => ({
          path: '/v1/directory/addresses',
          body: { address: `p${randomUUID().slice(0, 8)}@scoped.test` },
        }),
      },
      'GET /v1/directory/addresses/{address}': {
        needs: 'read',
        request: () => ({ path: `/v1/directory/addresses/${address}` }),
      },
      'PATCH /v1/directory/addresses/{address}': {
        needs: 'admin',
        request: () => ({ path: `/v1/directory/addresses/${address}`, body: { displayName: 'Scoped' } }),
      },
      'DELETE /v1/directory/addresses/{address}': {
        needs: 'admin',
        request: async () => ({ path: `/v1/directory/addresses/${await throwawayAddress()}` }),
      },
      'GET /v1/tokens': { needs: 'admin', request: () => ({ path: '/v1/tokens' }) },
      'POST /v1/tokens': {
        needs: 'admin',
        request: () => ({ path: '/v1/tokens', body: { name: 'x', scope: 'read' } }),
      },
      'GET /v1/tokens/{id}': { needs: 'admin', request: () => ({ path: `/v1/tokens/${tokenId}` }) },
      'POST /v1/tokens/{id}/revoke': {
        needs: 'admin',
        request: async () => ({ path: `/v1/tokens/${await throwawayToken()}/revoke` }),
      },
    };
    // A route without a row here fails the test: its scope is then decided, not defaulted unseen.
    expect(Object.keys(routes).sort()).toEqual(await documentedOperations(status.service.baseUrl));

    const order = ['read', 'operate', 'admin'] as const;
    for (const [operation, route] of Object.entries(routes)) {
      const method = operation.slice(0, operation.indexOf(' '));
      if (route.needs === 'none') {
        const { path } = await route.request();
        expect((await apiClient(status.service.baseUrl)(method, path)).status, `${operation} without a token`).toBe(
          200,
        );
        continue;
      }
      const anonymous = await route.request();
      expect((await apiClient(status.service.baseUrl)(method, anonymous.path, anonymous.body)).status).toBe(401);
      for (const scope of order) {
        const allowed = order.indexOf(scope) >= order.indexOf(route.needs);
        const { path, body } = await route.request();
        const response = await as(scope)<ApiErrorBody>(method, path, body);
        const label = `${operation} as ${scope}: ${JSON.stringify(response.body).slice(0, 200)}`;
        if (allowed) expect(response.status, label).toBeLessThan(400);
        else {
          expect(response.status, label).toBe(403);
          expect(response.body.error).toBe('forbidden');
          expect(response.body.message).toContain(`"${route.needs}"`);
        }
      }
    }
    await admin('POST', `/v1/connectors/${connector}/suspend`);
  });

  it('enforces the read scope on gRPC and ends an open watch within seconds of a revocation', async () => {
    const client = statusGrpcClient(status.grpcAddress);
    try {
      const list = await call(client.ListConnectorStatuses, client, {}, bearer(tokens.read));
      expect(Array.isArray(list.statuses)).toBe(true);

      const watcher = await admin<TokenView>('POST', '/v1/tokens', { name: 'watcher', scope: 'read' });
      const stream = client.WatchConnectorStatus({ connectorIds: [] }, bearer(watcher.body.token!));
      const received: GrpcConnectorStatus[] = [];
      const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      stream.on('data', (message: GrpcConnectorStatus) => received.push(message));
      await waitFor('the first statuses', async () => received.length, { until: (n) => n > 0 });
      const revoked = await admin<TokenView>('POST', `/v1/tokens/${watcher.body.id}/revoke`);
      expect(revoked.body.revokedAt).not.toBeNull();
      const error = await ended;
      expect(error.code).toBe(GrpcStatus.UNAUTHENTICATED);
      await expect(call(client.ListConnectorStatuses, client, {}, bearer(watcher.body.token!))).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
      });
    } finally {
      client.close();
    }
  });

  it('manages tokens through the API: listed without secrets, last use recorded, expiry and revocation refused', async () => {
    const listed = await admin<{ items: TokenView[] }>('GET', '/v1/tokens');
    expect(listed.body.items.map((t) => t.name)).toEqual(expect.arrayContaining(['read-token', 'operate-token']));
    const text = JSON.stringify(listed.body);
    for (const secret of Object.values(tokens)) expect(text).not.toContain(secret);
    expect(listed.body.items.find((t) => t.name === 'read-token')!.lastUsedAt).not.toBeNull();

    const invalid = await admin<ApiErrorBody>('POST', '/v1/tokens', { name: 'x', scope: 'root', extra: 1 });
    expect(invalid.status).toBe(400);

    const shortLived = await createApiToken(db.dataSource, 'expired', { expiresAt: new Date(Date.now() - 1000) });
    const expired = await admin<ApiErrorBody>('GET', '/v1/status', undefined, { token: shortLived });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/);

    const dated = await admin<TokenView>('POST', '/v1/tokens', { name: 'dated', scope: 'read', expiresInDays: 7 });
    expect(Date.parse(dated.body.expiresAt!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await admin('POST', `/v1/tokens/${dated.body.id}/revoke`);
    expect((await admin('GET', '/v1/status', undefined, { token: dated.body.token! })).status).toBe(401);
    expect((await admin('POST', `/v1/tokens/${randomUUID()}/revoke`)).status).toBe(404);
  });

  it('manages tokens with the CLI (scope required), audited as "cli"', async () => {
    const env = { ...process.env, DATABASE_URL: db.url };
    await expect(run(process.execPath, ['dist/scripts/token.js', 'create', 'no-scope'], { env })).rejects.toMatchObject(
      {
        code: 2,
      },
    );
    const { stdout } = await run(
      process.execPath,
      ['dist/scripts/token.js', 'create', 'cli-made', '--scope', 'operate', '--expires-in-days', '30'],
      { env },
    );
    const created = JSON.parse(stdout) as TokenView;
    expect(created).toMatchObject({ name: 'cli-made', scope: 'operate' });
    expect((await admin('GET', '/v1/status', undefined, { token: created.token! })).status).toBe(200);
    const listed = await run(process.execPath, ['dist/scripts/token.js', 'list'], { env });
    expect(listed.stdout).toContain('"name":"cli-made"');
    expect(listed.stdout).not.toContain(created.token!);
    await run(process.execPath, ['dist/scripts/token.js', 'revoke', created.id], { env });
    expect((await admin('GET', '/v1/status', undefined, { token: created.token! })).status).toBe(401);
    const audit = await admin<{ items: AuditEvent[] }>('GET', '/v1/audit?action=token.revoked');
    expect(audit.body.items[0]).toMatchObject({ actor: { tokenId: null, name: 'cli' }, target: { id: created.id } });
  });

  it('audits every mutation: who, when, what; secrets only as changed; kept after deletion', async () => {
    const input = connectorInput();
    const id = (await admin('POST', '/v1/connectors', input)).body['id'] as string;
    const newPassword = `New-${randomUUID()}`;
    await admin('PATCH', `/v1/connectors/${id}`, { host: '192.0.2.10', password: newPassword });
    await admin('POST', `/v1/connectors/${id}/resume`);
    await admin('POST', `/v1/connectors/${id}/suspend`);
    await admin('POST', '/v1/directory/domains', { domain: 'audited.test' });
    await admin('PATCH', '/v1/directory/domains/audited.test', { includeSubdomains: true });
    await admin('POST', '/v1/directory/addresses', { address: 'someone@audited.test', aliases: ['s@audited.test'] });
    await admin('DELETE', '/v1/directory/addresses/someone@audited.test');
    expect((await admin('DELETE', `/v1/connectors/${id}`)).status).toBe(204);

    const perConnector = await admin<{ items: AuditEvent[]; total: number }>('GET', `/v1/connectors/${id}/audit`);
    expect(perConnector.status).toBe(200);
    expect(perConnector.body.items.map((e) => e.action)).toEqual([
      'connector.deleted',
      'connector.suspended',
      'connector.resumed',
      'connector.updated',
      'connector.created',
    ]);
    for (const event of perConnector.body.items)
      expect(event.actor).toMatchObject({
        name: 'root-admin',
        tokenId: expect.any(String),
        address: expect.any(String),
      });
    expect(perConnector.body.items[3]!.details['changes']).toEqual([
      { field: 'host', from: '192.0.2.9', to: '192.0.2.10' },
      { field: 'password', changed: true },
    ]);
    const text = JSON.stringify(perConnector.body);
    expect(text).not.toContain(input.password);
    expect(text).not.toContain(newPassword);
    // The event log stays readable after deletion too.
    const events = await admin<{ items: Array<{ action: string }> }>('GET', `/v1/connectors/${id}/events`);
    expect(events.status).toBe(200);
    expect(events.body.items[0]!.action).toBe('deleted');

    const all = await admin<{ items: AuditEvent[] }>('GET', '/v1/audit?pageSize=200');
    for (const action of [
      'directory.domain.created',
      'directory.domain.updated',
      'directory.address.created',
      'directory.address.deleted',
      'directory.imported',
      'token.created',
      'token.revoked',
      'connector.test-extraction',
      'outcome.replayed',
    ]) {
      // Filtered by action: the scope test before this one wrote more than a page of entries.
      const entries = await admin<{ items: AuditEvent[] }>('GET', `/v1/audit?action=${action}&limit=1`);
      expect(entries.body.items, action).toHaveLength(1);
    }
    expect(JSON.stringify(all.body)).not.toMatch(/jw_[A-Za-z0-9_-]{20,}/);
    expect((await admin('GET', `/v1/connectors/${randomUUID()}/audit`)).status).toBe(404);
  });

  it('answers 409 to DELETE while mail is in flight; force deletes, logs and audits it', async () => {
    const id = (await admin('POST', '/v1/connectors', connectorInput())).body['id'] as string;
    await producer.send(rawRecord(id));
    await waitFor(
      'the extracted message to be counted',
      async () => (await admin<{ processingQueue: number }>('GET', `/v1/connectors/${id}/status`)).body.processingQueue,
      { until: (queue) => queue === 1 },
    );
    const refused = await admin<ApiErrorBody>('DELETE', `/v1/connectors/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/1 message\(s\) in its processing queue.*force=true/);
    expect((await admin('GET', `/v1/connectors/${id}`)).status).toBe(200);

    expect((await admin('DELETE', `/v1/connectors/${id}?force=true`)).status).toBe(204);
    const audit = await admin<{ items: AuditEvent[] }>('GET', `/v1/connectors/${id}/audit`);
    expect(audit.body.items[0]).toMatchObject({
      action: 'connector.deleted',
      details: { force: true, processingQueue: 1 },
    });
    const log = readFileSync(status.service.logFile, 'utf8');
    expect(log).toMatch(new RegExp(`connector ${id} deleted with force while it had mail in flight: 1 message`));
  });

  it('answers 409 to DELETE while a poller session or an unconfirmed batch holds the connector; force deletes and audits it', async () => {
    const id = (await admin('POST', '/v1/connectors', connectorInput())).body['id'] as string;
    const redis = statusRedis();
    try {
      // The poller's mailbox lease: a POP3 session is running, before any progress record exists.
      await redis.set(pollerLeaseKey(id), 'poller-a/session', 'PX', 60_000);
      const duringSession = await admin<ApiErrorBody>('DELETE', `/v1/connectors/${id}`);
      expect(duringSession.status).toBe(409);
      expect(duringSession.body.message).toMatch(/poller session is extracting its mailbox.*force=true/);
      expect(duringSession.body.message).not.toMatch(/processing queue|not yet confirmed/);
      await redis.del(pollerLeaseKey(id));

      // The in-flight marker: a batch handed to Kafka that the ledger does not hold yet.
      await redis.set(
        pollerInFlightKey(id),
        JSON.stringify({ token: 't', instanceId: 'poller-a', at: 1, entries: [] }),
      );
      const unconfirmed = await admin<ApiErrorBody>('DELETE', `/v1/connectors/${id}`);
      expect(unconfirmed.status).toBe(409);
      expect(unconfirmed.body.message).toMatch(/poller handed to Kafka are not yet confirmed/);
      expect((await admin('GET', `/v1/connectors/${id}`)).status).toBe(200);

      expect((await admin('DELETE', `/v1/connectors/${id}?force=true`)).status).toBe(204);
      const audit = await admin<{ items: AuditEvent[] }>('GET', `/v1/connectors/${id}/audit`);
      expect(audit.body.items[0]).toMatchObject({
        action: 'connector.deleted',
        details: { force: true, processingQueue: 0, inFlight: ['poller-in-flight'] },
      });
      const log = readFileSync(status.service.logFile, 'utf8');
      expect(log).toMatch(
        new RegExp(`connector ${id} deleted with force while it had mail in flight: messages the poller`),
      );
    } finally {
      await redis.del(pollerLeaseKey(id), pollerInFlightKey(id));
      redis.disconnect();
    }
  });

  it('rate-limits failed authentications per client address (REST and gRPC), then refuses even a valid token', async () => {
    const limited = await startStatusService(db.url, { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_BLOCK_MS: '60000' });
    const client = statusGrpcClient(limited.grpcAddress);
    try {
      const api = apiClient(limited.service.baseUrl, tokens.read);
      for (let i = 0; i < 3; i++)
        expect((await api('GET', '/v1/status', undefined, { token: `jw_guess-${i}` })).status).toBe(401);
      const blocked = await api<ApiErrorBody>('GET', '/v1/status', undefined, { token: 'jw_guess-4' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error).toBe('rate-limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await api('GET', '/v1/status')).status).toBe(429);
      await expect(call(client.ListConnectorStatuses, client, {}, bearer(tokens.read))).rejects.toMatchObject({
        code: GrpcStatus.RESOURCE_EXHAUSTED,
      });
    } finally {
      client.close();
      await limited.service.stop();
    }
  });
});
