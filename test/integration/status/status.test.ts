import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStatusView } from '#contracts';
import type { KafkaGateway, OutgoingRecord, ReliableProducer } from '#kafka';
import { waitFor } from '#test-support';
import {
  apiClient,
  createConnector,
  startStatusHarness,
  startStatusService,
  statusRedis,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';
import {
  archivedRecord,
  deadLetterRecord,
  produceAborted,
  rawRecord,
  rejectedRecord,
  statusRecord,
  testProducer,
} from '../../support/status-records.js';

const times = (n: number, make: () => OutgoingRecord[]) => Array.from({ length: n }, make).flat();

describe('status: Service Status aggregated from the topics', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  let kafka: KafkaGateway;
  let producer: ReliableProducer;
  let redis: Redis;
  let token: string;

  const create = () =>
    createConnector(api, {
      description: `status test ${randomUUID().slice(0, 8)}`,
      serviceEmailAddress: 'journal@contoso.test',
      mailboxName: `journal-${randomUUID().slice(0, 8)}`,
      password: 'pw',
      host: '192.0.2.1',
    });
  const statusOf = async (id: string) => (await api<ConnectorStatusView>('GET', `/v1/connectors/${id}/status`)).body;
  const until = (id: string, what: string, accept: (s: ConnectorStatusView) => boolean, timeoutMs = 30_000) =>
    waitFor(what, () => statusOf(id), { until: accept, timeoutMs });

  beforeAll(async () => {
    ({ db, status, api, token } = await startStatusHarness({ tokenName: 'status-tester' }));
    redis = statusRedis();
    ({ kafka, producer } = await testProducer());
  });

  afterAll(async () => {
    await status?.service.stop();
    await producer?.disconnect();
    await redis?.quit();
    await db?.drop();
  });

  const snapshots: Record<string, ConnectorStatusView> = {};
  let connectorId = '';
  let resetConnectorId = '';

  it('starts as awaiting-initial-run', async () => {
    connectorId = await create();
    const initial = await statusOf(connectorId);
    expect(initial).toMatchObject({
      connectorId,
      serviceStatus: 'awaiting-initial-run',
      lastSuccessfulExtract: null,
      processingQueue: 0,
      pop3MailboxQueue: null,
      lastError: null,
      counters: { extracted: 0, archived: 0, rejected: 0, deadLettered: 0, merged: 0 },
      display: { serviceStatus: 'Service Awaiting Initial Run', lastSuccessfulExtract: 'Awaiting initial run' },
    });
  });

  it('turns ok on the first successful extract and counts extracted, archived, merged, rejected (aborted records ignored)', async () => {
    const firstExtract = new Date().toISOString();
    // Aborted first, on the same partition (same key): by the time the 5 committed ones are
    // counted, the aborted ones have been passed over.
    await produceAborted(
      kafka,
      times(3, () => rawRecord(connectorId)),
    );
    await producer.send([
      statusRecord(connectorId, {
        state: 'ok',
        lastSuccessfulExtractAt: firstExtract,
        mailboxQueue: 7,
        extractedTotal: 5,
        sessionExtracted: 5,
      }),
      ...times(5, () => rawRecord(connectorId)),
      ...archivedRecord(connectorId, 'archive'),
      ...archivedRecord(connectorId, 'archive'),
      ...archivedRecord(connectorId, 'merge'),
      rejectedRecord(connectorId),
    ]);
    const ok = await until(
      connectorId,
      'ok with counters',
      (s) =>
        s.serviceStatus === 'ok' &&
        s.counters.extracted === 5 &&
        s.counters.archived + s.counters.merged + s.counters.rejected === 4,
    );
    expect(ok).toMatchObject({
      serviceStatus: 'ok',
      lastSuccessfulExtract: firstExtract,
      pop3MailboxQueue: 7,
      processingQueue: 1,
      lastError: null,
      counters: { extracted: 5, archived: 2, merged: 1, rejected: 1, deadLettered: 0 },
      display: { serviceStatus: 'Service OK', lastSuccessfulExtract: firstExtract },
    });

    await producer.send([deadLetterRecord(connectorId)]);
    const settled = await until(connectorId, 'dead letter counted', (s) => s.counters.deadLettered === 1);
    expect(settled.processingQueue).toBe(0);
    expect(settled.counters.extracted).toBe(5);
  });

  it('turns error when the poller reports one, and suspension resets it', async () => {
    const at = new Date().toISOString();
    await producer.send([
      statusRecord(connectorId, {
        state: 'error',
        lastSuccessfulExtractAt: (await statusOf(connectorId)).lastSuccessfulExtract,
        mailboxQueue: 7,
        lastError: { code: 'connection-refused', message: 'mail.contoso.test:995 is unreachable (ECONNREFUSED)', at },
      }),
    ]);
    const failed = await until(connectorId, 'error', (s) => s.serviceStatus === 'error');
    expect(failed.lastError).toEqual({
      code: 'connection-refused',
      message: 'mail.contoso.test:995 is unreachable (ECONNREFUSED)',
      at,
    });
    expect(failed.display.serviceStatus).toBe('Service Error');

    expect((await api('POST', `/v1/connectors/${connectorId}/suspend`)).status).toBe(200);
    const suspended = await statusOf(connectorId);
    expect(suspended).toMatchObject({ serviceStatus: 'suspended', lastError: null });

    await api('POST', `/v1/connectors/${connectorId}/resume`);
    const resumed = await statusOf(connectorId);
    expect(resumed).toMatchObject({ serviceStatus: 'ok', lastError: null });
  });

  it('turns error again on a new error and back to ok on the next good session', async () => {
    const lastExtract = (await statusOf(connectorId)).lastSuccessfulExtract;
    await producer.send([
      statusRecord(connectorId, {
        state: 'error',
        lastSuccessfulExtractAt: lastExtract,
        lastError: { code: 'authentication', message: 'login refused', at: new Date().toISOString() },
      }),
    ]);
    await until(
      connectorId,
      'error again',
      (s) => s.serviceStatus === 'error' && s.lastError?.code === 'authentication',
    );

    const secondExtract = new Date().toISOString();
    await producer.send([
      statusRecord(connectorId, {
        state: 'ok',
        lastSuccessfulExtractAt: secondExtract,
        mailboxQueue: 0,
        extractedTotal: 6,
      }),
      ...rawRecord(connectorId),
    ]);
    const back = await until(connectorId, 'ok again', (s) => s.serviceStatus === 'ok' && s.counters.extracted === 6);
    expect(back).toMatchObject({
      lastSuccessfulExtract: secondExtract,
      lastError: null,
      pop3MailboxQueue: 0,
      processingQueue: 1,
    });

    const list = await api<{ items: ConnectorStatusView[] }>('GET', '/v1/status');
    expect(list.body.items.find((s) => s.connectorId === connectorId)).toEqual(await statusOf(connectorId));
    snapshots['before-restart'] = back;
  });

  it('a connector whose error was reset by a suspension stays ok', async () => {
    resetConnectorId = await create();
    await producer.send([
      statusRecord(resetConnectorId, {
        state: 'error',
        lastSuccessfulExtractAt: new Date().toISOString(),
        lastError: { code: 'timeout', message: 'no greeting', at: new Date().toISOString() },
      }),
    ]);
    await until(resetConnectorId, 'error', (s) => s.serviceStatus === 'error');
    await api('POST', `/v1/connectors/${resetConnectorId}/suspend`);
    await api('POST', `/v1/connectors/${resetConnectorId}/resume`);
    expect((await statusOf(resetConnectorId)).serviceStatus).toBe('ok');
  });

  it('counts exactly once across a restart with a new consumer group (no committed offsets to rely on)', async () => {
    await status.service.stop();
    status = await startStatusService(db.url); // fresh STATUS_CONSUMER_GROUP
    api = apiClient(status.service.baseUrl, token);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // time to (wrongly) recount
    const after = await statusOf(connectorId);
    expect(after.counters).toEqual(snapshots['before-restart']!.counters);
    await producer.send(rawRecord(connectorId));
    const counted = await until(connectorId, 'one more extracted', (s) => s.counters.extracted === 7);
    expect(counted.counters).toEqual({ ...snapshots['before-restart']!.counters, extracted: 7 });
    snapshots['before-flush'] = counted;
  });

  it('keeps its counters when Redis holds offsets of topics it no longer reads (upgrade to journal.progress.v1)', async () => {
    const before = await statusOf(connectorId);
    const epoch = await redis.get('jw:status:epoch');
    expect(epoch).toEqual(expect.any(String));
    await status.service.stop();
    // What a status service that counted journal.raw.v2 and journal.archived.v2 left behind.
    await redis.hset('jw:status:offsets', 'journal.raw.v2:0', '999999999', 'journal.archived.v2:3', '12');
    status = await startStatusService(db.url);
    api = apiClient(status.service.baseUrl, token);
    await waitFor(
      'the retired offsets forgotten',
      () => redis.hmget('jw:status:offsets', 'journal.raw.v2:0', 'journal.archived.v2:3'),
      { until: (values) => values.every((value) => value === null) },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time to (wrongly) rebuild
    expect((await statusOf(connectorId)).counters).toEqual(before.counters);
    expect(await redis.get('jw:status:epoch')).toBe(epoch); // kept, not rebuilt
  });

  it('rebuilds the counters from the topics after Redis loses its state (FLUSHDB)', async () => {
    const before = snapshots['before-flush']!;
    expect(await redis.exists('jw:status:epoch')).toBe(1);
    await redis.flushdb();
    const rebuilt = await until(
      connectorId,
      'rebuilt counters',
      (s) => JSON.stringify(s.counters) === JSON.stringify(before.counters) && s.serviceStatus === 'ok',
      90_000,
    );
    expect(rebuilt).toMatchObject({
      serviceStatus: 'ok',
      lastSuccessfulExtract: before.lastSuccessfulExtract,
      pop3MailboxQueue: before.pop3MailboxQueue,
      processingQueue: before.processingQueue,
      lastError: null,
    });
    expect(await redis.exists('jw:status:epoch')).toBe(1);
    // The error reset by a suspension is still reset after the rebuild (restored from the event log).
    const reset = await until(resetConnectorId, 'rebuilt snapshot', (s) => s.lastSuccessfulExtract !== null);
    expect(reset).toMatchObject({ serviceStatus: 'ok', lastError: null });
    // Still counting once: nothing doubled while the rebuild caught up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await statusOf(connectorId)).counters).toEqual(before.counters);
  });

  /** Stops the service, leaves Redis as `damage` makes it, restarts it: the counters must be rebuilt as they were. */
  async function expectRebuiltAfter(damage: () => Promise<void>): Promise<void> {
    const before = await statusOf(connectorId);
    await status.service.stop();
    await damage();
    await redis.hset(`jw:status:connector:${connectorId}`, 'extracted', '1000');
    status = await startStatusService(db.url);
    api = apiClient(status.service.baseUrl, token);
    const rebuilt = await until(
      connectorId,
      'rebuilt counters',
      (s) => JSON.stringify(s.counters) === JSON.stringify(before.counters),
      90_000,
    );
    expect(rebuilt.counters).toEqual(before.counters);
  }

  it('drops and rebuilds counters whose offsets point past the end of the topics (topics recreated)', async () => {
    // What Redis would hold after the topics were deleted and created again: offsets past their end.
    await expectRebuiltAfter(() =>
      redis.hset('jw:status:offsets', 'journal.progress.v1:0', '999999999').then(() => undefined),
    );
    expect(await redis.hget('jw:status:offsets', 'journal.progress.v1:0')).not.toBe('999999999');
  });

  it('drops and rebuilds counters counted on another Kafka cluster, even where its offsets fit these topics', async () => {
    const cluster = await redis.get('jw:status:cluster');
    expect(cluster).toEqual(expect.any(String));
    // A rebuilt cluster whose topics already hold more records than the old ones did: offsets alone cannot tell.
    await expectRebuiltAfter(() => redis.set('jw:status:cluster', 'another-cluster').then(() => undefined));
    expect(await redis.get('jw:status:cluster')).toBe(cluster);
  });
});
