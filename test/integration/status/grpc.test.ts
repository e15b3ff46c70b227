import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReliableProducer } from '#kafka';
import {
  apiClient,
  createApiToken,
  createPrivateDatabase,
  startStatusService,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';
import { bearer, call, statusGrpcClient, type GrpcConnectorStatus } from '../../support/status-grpc.js';
import { rawRecord, statusRecord, testProducer } from '../../support/status-records.js';

type Client = ReturnType<typeof statusGrpcClient>;

/** Collects a watch stream's messages until `done` holds for the list. */
function watch(client: Client, ids: string[], token: string | null) {
  const stream = client.WatchConnectorStatus({ connectorIds: ids }, bearer(token));
  const received: GrpcConnectorStatus[] = [];
  let failure: ServiceError | null = null;
  const waiters: Array<() => void> = [];
  stream.on('data', (message: GrpcConnectorStatus) => {
    received.push(message);
    waiters.splice(0).forEach((wake) => wake());
  });
  stream.on('error', (error: ServiceError) => {
    failure = error;
    waiters.splice(0).forEach((wake) => wake());
  });
  return {
    received,
    error: () => failure,
    async until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (failure) throw failure;
        if (Date.now() > deadline)
          throw new Error(`watch: timed out waiting for ${what}; got ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 250);
        });
      }
    },
    cancel: () => stream.cancel(),
  };
}

describe('status gRPC: journalwire.status.v1.ConnectorStatusService', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  let client: Client;
  let producer: ReliableProducer;
  let token: string;
  let revoked: string;
  let connectorId: string;

  beforeAll(async () => {
    db = await createPrivateDatabase();
    token = await createApiToken(db.dataSource, 'grpc-tester');
    revoked = await createApiToken(db.dataSource, 'grpc-revoked', { revoked: true });
    ({ producer } = await testProducer());
    status = await startStatusService(db.url);
    api = apiClient(status.service.baseUrl, token);
    client = statusGrpcClient(status.grpcAddress);
    const created = await api('POST', '/v1/connectors', {
      description: `grpc test ${randomUUID().slice(0, 8)}`,
      serviceEmailAddress: 'journal@contoso.test',
      mailboxName: 'journal',
      password: 'pw',
      host: '192.0.2.7',
    });
    connectorId = created.body['id'] as string;
  });

  afterAll(async () => {
    client?.close();
    await status?.service.stop();
    await producer?.disconnect();
    await db?.drop();
  });

  it('GetConnectorStatus returns what REST returns, in the proto shape', async () => {
    const message = await call(client.GetConnectorStatus, client, { connectorId }, bearer(token));
    const rest = (await api('GET', `/v1/connectors/${connectorId}/status`)).body;
    expect(message).toEqual({
      connectorId,
      serviceStatus: 'awaiting-initial-run',
      lastSuccessfulExtract: '',
      processingQueue: 0,
      pop3MailboxQueue: -1,
      lastError: null,
      counters: { extracted: 0, archived: 0, rejected: 0, deadLettered: 0, merged: 0 },
      updatedAt: rest['updatedAt'],
    });
  });

  it('ListConnectorStatuses lists every connector', async () => {
    const { statuses } = await call(client.ListConnectorStatuses, client, {}, bearer(token));
    expect(statuses.map((s) => s.connectorId)).toContain(connectorId);
  });

  it('answers NOT_FOUND for unknown connectors', async () => {
    await expect(
      call(client.GetConnectorStatus, client, { connectorId: randomUUID() }, bearer(token)),
    ).rejects.toMatchObject({
      code: GrpcStatus.NOT_FOUND,
      details: expect.stringMatching(/No journal service definition/),
    });
    await expect(call(client.GetConnectorStatus, client, { connectorId: 'nope' }, bearer(token))).rejects.toMatchObject(
      { code: GrpcStatus.NOT_FOUND },
    );
    const stream = watch(client, [randomUUID()], token);
    await expect(stream.until('an error', () => false)).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('answers UNAUTHENTICATED without a token and with a revoked one, on every method', async () => {
    for (const credential of [null, revoked, 'jw_wrong']) {
      await expect(call(client.GetConnectorStatus, client, { connectorId }, bearer(credential))).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
      });
      await expect(call(client.ListConnectorStatuses, client, {}, bearer(credential))).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
      });
      const stream = watch(client, [], credential);
      await expect(stream.until('an error', () => false)).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      expect(stream.received).toEqual([]);
    }
  });

  it('WatchConnectorStatus sends the current status, then every change (Kafka and REST driven)', async () => {
    const one = watch(client, [connectorId], token);
    const all = watch(client, [], token);
    await one.until('the current status', () => one.received.length >= 1);
    expect(one.received[0]).toMatchObject({ connectorId, serviceStatus: 'awaiting-initial-run' });
    await all.until('the current statuses', () => all.received.some((s) => s.connectorId === connectorId));

    const extractedAt = new Date().toISOString();
    await producer.send([
      statusRecord(connectorId, { state: 'ok', lastSuccessfulExtractAt: extractedAt, mailboxQueue: 3 }),
      ...rawRecord(connectorId),
    ]);
    await one.until('ok', () => one.received.some((s) => s.serviceStatus === 'ok' && s.counters.extracted === 1));
    expect(one.received.at(-1)).toMatchObject({
      serviceStatus: 'ok',
      lastSuccessfulExtract: extractedAt,
      pop3MailboxQueue: 3,
      processingQueue: 1,
    });

    await api('POST', `/v1/connectors/${connectorId}/suspend`);
    await one.until('suspended', () => one.received.at(-1)?.serviceStatus === 'suspended');
    await all.until('suspended on the all-connectors stream', () =>
      all.received.some((s) => s.connectorId === connectorId && s.serviceStatus === 'suspended'),
    );
    expect(one.received.every((s) => s.connectorId === connectorId)).toBe(true);
    one.cancel();
    all.cancel();
  });
});
