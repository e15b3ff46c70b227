import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolLogKey } from '#platform';
import { startService, TEST_CREDENTIAL_KEY, type RunningService, waitFor } from '#test-support';
import {
  createConnector,
  dovecotConnector,
  startStatusHarness,
  statusRedis,
  statusRedisUrl,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
  mailboxSh,
} from '../../support/status-harness.js';

interface ProtocolLog {
  connectorId: string;
  detailedLogging: boolean;
  limits: { sessions: number; bytesPerSession: number };
  items: Array<{
    kind: 'session' | 'test-extraction';
    outcome: string;
    error: { code: string; message: string } | null;
    lines: Array<{ ms: number; direction: 'client' | 'server'; line: string }>;
    omittedLines: number;
  }>;
}

describe('status API: protocol log of detailed logging (real Dovecot, Redis, poller)', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let poller: RunningService | undefined;
  let api: ApiClient;
  const user = `jw-plog-${randomBytes(4).toString('hex')}@journal.test`;
  const password = `pw-${randomUUID()}`;
  const authPlain = Buffer.from(`\0${user}\0${password}`).toString('base64');
  const passwordBase64 = Buffer.from(password).toString('base64');

  const expectNoSecret = (log: unknown) => {
    const text = JSON.stringify(log);
    expect(text).not.toContain(password);
    expect(text).not.toContain(authPlain);
    expect(text).not.toContain(passwordBase64);
  };
  const connector = (overrides: Record<string, unknown>) =>
    createConnector(api, {
      ...dovecotConnector(user, password, 'protocol log'),
      pollIntervalSeconds: 3600,
      allowEmptyDirectory: true, // this private database has no directory
      ...overrides,
    });
  const protocolLog = (id: string, query = '') => api<ProtocolLog>('GET', `/v1/connectors/${id}/protocol-log${query}`);

  beforeAll(async () => {
    ({ db, status, api } = await startStatusHarness({
      tokenName: 'protocol-log-tester',
      databasePrefix: 'jw_plog_test',
    }));
    await mailboxSh('create', user, password);
    for (const n of [1, 2]) {
      const file = join(tmpdir(), `jw-plog-${randomUUID()}.eml`);
      writeFileSync(file, `From: a@contoso.test\r\nTo: b@contoso.test\r\nSubject: trace ${n}\r\n\r\nbody ${n}\r\n`);
      await mailboxSh('deliver', user, file);
    }
  });

  afterAll(async () => {
    await poller?.stop(15_000).catch(() => undefined);
    await status?.service.stop();
    await db?.drop();
    await mailboxSh('delete', user).catch(() => undefined);
  });

  it('records a test extraction when detailed logging is on, without the password or its base64', async () => {
    const id = await connector({ detailedLogging: true });
    const report = await api('POST', `/v1/connectors/${id}/test-extraction`);
    expect(report.body['ok']).toBe(true);

    const log = await protocolLog(id);
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ connectorId: id, detailedLogging: true, limits: { sessions: 20 } });
    expect(log.body.items).toHaveLength(1);
    const [entry] = log.body.items;
    expect(entry).toMatchObject({ kind: 'test-extraction', outcome: 'ok', error: null, omittedLines: 0 });
    const lines = entry!.lines.map((l) => `${l.direction === 'client' ? 'C' : 'S'}: ${l.line}`);
    expect(lines[0]).toMatch(/^S: \+OK/);
    expect(lines).toEqual(expect.arrayContaining(['C: CAPA', 'C: STAT', 'C: QUIT']));
    expect(lines.some((l) => l === 'C: AUTH PLAIN [redacted]' || l === 'C: PASS [redacted]')).toBe(true);
    expectNoSecret(log.body);
  });

  it('records a failed test extraction with its error', async () => {
    const id = await connector({ detailedLogging: true, password: `${password}-wrong` });
    await api('POST', `/v1/connectors/${id}/test-extraction`);
    const [entry] = (await protocolLog(id)).body.items;
    expect(entry).toMatchObject({ kind: 'test-extraction', outcome: 'failed', error: { code: 'authentication' } });
    expect(JSON.stringify(entry)).not.toContain(`${password}-wrong`);
  });

  it('records nothing while detailed logging is off', async () => {
    const id = await connector({ detailedLogging: false });
    await api('POST', `/v1/connectors/${id}/test-extraction`);
    const log = await protocolLog(id);
    expect(log.body).toMatchObject({ detailedLogging: false, items: [] });
  });

  it("stores the poller's extraction session, readable through the API, and drops it with the connector", async () => {
    const id = await connector({ detailedLogging: true });
    await api('POST', `/v1/connectors/${id}/resume`);
    poller = await startService('poller', {
      DATABASE_URL: db.url,
      REDIS_URL: statusRedisUrl(),
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      POLLER_CONNECTOR_IDS: id,
      POLL_TICK_MS: '200',
    });
    const log = await waitFor('a stored poller session', () => protocolLog(id), {
      until: (response) => response.body.items.some((item) => item.kind === 'session'),
      timeoutMs: 60_000,
    });
    const session = log.body.items.find((item) => item.kind === 'session')!;
    expect(session).toMatchObject({ outcome: 'completed', error: null });
    const client = session.lines.filter((l) => l.direction === 'client').map((l) => l.line);
    expect(client).toEqual(expect.arrayContaining(['STAT', 'UIDL', 'RETR 1', 'RETR 2', 'DELE 1', 'DELE 2', 'QUIT']));
    expect(session.lines.map((l) => l.line).join('\n')).not.toContain('body 1'); // never message bodies
    expectNoSecret(log.body);
    expect(await mailboxSh('count', user)).toBe('0');

    const bounded = await protocolLog(id, '?sessions=1');
    expect(bounded.body.items).toHaveLength(1);

    // force: the drained messages wait in the processing queue (no envelope/policy runs here).
    expect((await api('DELETE', `/v1/connectors/${id}?force=true`)).status).toBe(204);
    const redis = statusRedis();
    try {
      expect(await redis.exists(protocolLogKey(id))).toBe(0);
    } finally {
      redis.disconnect();
    }
    expect((await protocolLog(id)).status).toBe(404);
  });

  it('refuses a bad bound and an unknown connector', async () => {
    const id = await connector({ detailedLogging: true });
    const tooMany = await protocolLog(id, '?sessions=21');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: 'validation', fields: [{ field: 'sessions' }] });
    expect((await protocolLog(randomUUID())).status).toBe(404);
  });
});
