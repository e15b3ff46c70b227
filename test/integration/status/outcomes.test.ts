import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemBlobStore } from '#blob-store';
import {
  claimCheckRawBody,
  deadLetterRecordSchema,
  encodeMessageRecord,
  encodeProgressRecord,
  encodeRawRecord,
  inlineRawBody,
  rawId,
  RECORD_HEADERS,
  TOPICS,
  type DeadLetterRecord,
} from '#contracts';
import { createDataSource } from '#persistence';
import {
  deleteConnectors,
  freePort,
  insertConnector,
  Pipeline,
  TEST_RUN_ID,
  testEnv,
  withRunMessageIds,
  waitFor,
} from '#test-support';
import { apiClient, type ApiClient } from '../../support/status-harness.js';
import { deadLetterRecord, statusRecord, testProducer } from '../../support/status-records.js';

const run = promisify(execFile);
const SAMPLES = 'test/fixtures/journal';
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Outcome {
  id: string;
  type: string;
  at: string;
  reason: string;
  error: string | null;
  messageId: string | null;
  sender: string | null;
  subject: string | null;
  uidl: string | null;
  attempts: number | null;
  rawRecord: { partition: number; offset: string } | null;
  source: { topic: string; partition: number; offset: string } | null;
  message: { inline: { size: number } } | { claimCheck: { key: string; sha256: string } } | null;
  replayable: boolean;
  replay: { at: string; by: string; rawRecord: { partition: number; offset: string } } | null;
}
interface Page {
  items: Outcome[];
  nextCursor: string | null;
}

// GET /v1/connectors/:id/outcomes and POST …/outcomes/:outcomeId/replay against the status,
// envelope and policy services as processes, on the real broker, database and Redis.
describe('rejected, dead-lettered and skipped messages, and their replay', () => {
  let pipeline: Pipeline;
  const tag = `${TEST_RUN_ID}out${randomUUID().slice(0, 6)}`;
  let dataSource: DataSource;
  let api: ApiClient;
  let readApi: ApiClient;
  let operateApi: ApiClient;
  const connectors: string[] = [];
  let blobStore: FileSystemBlobStore;

  beforeAll(async () => {
    dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 2 }).initialize();
    await dataSource.query(`INSERT INTO directory_domains (domain) VALUES ('contoso.com') ON CONFLICT DO NOTHING`);
    for (const address of ['alice@contoso.com', 'bob@contoso.com', 'peter@contoso.com']) {
      await dataSource.query(`INSERT INTO directory_addresses (address) VALUES ($1) ON CONFLICT DO NOTHING`, [address]);
    }
    await dataSource.query(`UPDATE directory_revision SET revision = revision + 1`);
    // Its own gRPC port: other stacks on this machine may hold the default one.
    pipeline = new Pipeline({ GRPC_PORT: String(await freePort()) });
    await pipeline.start();
    // Raw records come from this test, through the poller's own encoder.
    await pipeline.service('poller').stop();
    pipeline.services.delete('poller');
    const baseUrl = pipeline.service('status').baseUrl;
    api = apiClient(baseUrl, pipeline.token);
    readApi = apiClient(baseUrl, await token('read'));
    operateApi = apiClient(baseUrl, await token('operate'));
    blobStore = new FileSystemBlobStore(pipeline.blobDir);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await deleteConnectors(dataSource, connectors);
    await dataSource?.destroy();
  });

  async function token(scope: string): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      ['dist/scripts/token.js', 'create', `outcomes-${scope}-${Date.now()}`, '--scope', scope],
      { env: { ...process.env, DATABASE_URL: testEnv.databaseUrl } },
    );
    return (JSON.parse(stdout) as { token: string }).token;
  }

  async function connector(flags: { journalNonInternal?: boolean } = {}): Promise<string> {
    const saved = await insertConnector(dataSource, { mailboxName: `out-${randomUUID()}`, password: 'x', ...flags });
    connectors.push(saved.id);
    return saved.id;
  }

  /** Publishes raw records exactly as the poller does (encodeRawRecord, each with its progress record). */
  async function publish(connectorId: string, bodies: Array<ReturnType<typeof inlineRawBody>>): Promise<void> {
    const { producer } = await testProducer();
    await producer.send(
      bodies.flatMap((body, i) => [
        encodeRawRecord({ connectorId, uidl: `uidl-${i}-${tag}`, extractedAt: new Date().toISOString(), body }),
        encodeProgressRecord({ event: 'extracted', connectorId, rawId: rawId(connectorId, body.sha256) }),
      ]),
    );
    await producer.disconnect();
  }

  const list = (id: string, query: string, client = api) =>
    client<Page>('GET', `/v1/connectors/${id}/outcomes?${query}`);

  async function listed(id: string, type: string, count: number): Promise<Outcome[]> {
    const page = await waitFor(`${count} ${type} outcome(s) of ${id}`, () => list(id, `type=${type}`), {
      until: (r) => r.status === 200 && r.body.items.length >= count,
      timeoutMs: 90_000,
      everyMs: 500,
    });
    return page.body.items;
  }

  const sample = (name: string, run: string) => withRunMessageIds(readFileSync(join(SAMPLES, name)), run);
  const external = (run: string) =>
    Buffer.from(
      sample('01-exch2007-rtm-basic-fields.eml', run)
        .toString('latin1')
        .replaceAll('alice@contoso.com', 'x@fabrikam.com')
        .replaceAll('bob@contoso.com', 'y@fabrikam.com'),
      'latin1',
    );

  it('replays a dead letter once, byte for byte, through envelope and policy to an archive; reconcile balances', async () => {
    const id = await connector();
    const bytes = sample('02-exch2010-extended-fields-on-behalf-of.eml', `${tag}dl`);
    // A claim-checked message whose blob went missing before the envelope service read it.
    const claim = await blobStore.put(bytes);
    rmSync(join(pipeline.blobDir, claim.key));
    await publish(id, [claimCheckRawBody(claim)]);
    const [dead] = await listed(id, 'dead-lettered', 1);
    expect(dead).toMatchObject({
      type: 'dead-lettered',
      reason: expect.any(String),
      error: expect.stringMatching(/missing|not found|ENOENT/i),
      uidl: `uidl-0-${tag}`,
      message: { claimCheck: { key: claim.key, sha256: sha(bytes) } },
      source: { topic: TOPICS.dlq },
      replayable: true,
      replay: null,
    });
    expect(dead!.rawRecord).not.toBeNull();

    // A read token sees it but cannot replay it.
    expect((await list(id, 'type=dead-lettered', readApi)).status).toBe(200);
    const refused = await readApi('POST', `/v1/connectors/${id}/outcomes/${dead!.id}/replay`);
    expect(refused.status).toBe(403);

    // The blob is restored from backup; an operator replays.
    await blobStore.put(bytes);
    const replayed = await operateApi<{ outcome: Outcome; replay: NonNullable<Outcome['replay']> }>(
      'POST',
      `/v1/connectors/${id}/outcomes/${dead!.id}/replay`,
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body.outcome).toMatchObject({ id: dead!.id, replayable: false });
    expect(replayed.body.replay.by).toMatch(/^outcomes-operate-/);

    const again = await operateApi<{ error: string; message: string; details?: unknown }>(
      'POST',
      `/v1/connectors/${id}/outcomes/${dead!.id}/replay`,
    );
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already replayed/);

    const archived = await pipeline.outcomesWhen(id, 'the replay archived', (o) => o.archived.length === 1);
    expect(archived.archived[0]!.sha256Before).toBe(sha(bytes));
    expect(archived.archived[0]!.rawRecord).toEqual(replayed.body.replay.rawRecord);
    expect(archived.dead).toHaveLength(1);

    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    expect(report.raw).toBe(2);
    expect(report.outcomes).toMatchObject({ archived: 1, 'dead-lettered': 1 });
    expect(report.replayed).toEqual([
      {
        ref: replayed.body.replay.rawRecord,
        of: dead!.source,
        original: dead!.rawRecord,
        originalOutcomes: ['dead-lettered'],
        outcomes: ['archived'],
      },
    ]);
    const { stdout } = await run(process.execPath, ['dist/scripts/reconcile.js', '--connector', id], {
      env: { ...process.env, ...pipeline.env },
    });
    expect(stdout).toMatch(/replayed\s+1/);
    expect(stdout).toMatch(/OK: every raw record has exactly one outcome/);

    // The list shows the replay; the audit log has it.
    const [after] = await listed(id, 'dead-lettered', 1);
    expect(after!.replay).toEqual(replayed.body.replay);
    const audit = await api<{
      items: Array<{ action: string; actor: { name: string }; details: Record<string, unknown> }>;
    }>('GET', `/v1/connectors/${id}/audit?limit=5`);
    const entry = audit.body.items.find((item) => item.action === 'outcome.replayed');
    expect(entry?.actor.name).toBe(replayed.body.replay.by);
    expect(entry?.details).toMatchObject({
      type: 'dead-lettered',
      source: dead!.source,
      replay: replayed.body.replay.rawRecord,
    });
  });

  it('lists rejections with sender and subject, pages them, and decides a replayed one afresh', async () => {
    const id = await connector({ journalNonInternal: false });
    const messages = [0, 1, 2].map((i) => external(`${tag}rj${i}`));
    await publish(id, messages.map(inlineRawBody));
    const all = await listed(id, 'rejected', 3);
    expect(all.map((o) => o.reason)).toEqual(Array(3).fill('external-not-journaled'));
    for (const outcome of all) {
      expect(outcome.messageId).toMatch(/^<.+>$/);
      expect(outcome.sender).toMatch(/@/);
      expect(outcome.subject).not.toBeNull();
      expect(outcome.message).toEqual({ inline: { size: expect.any(Number) } });
    }
    expect(all.map((o) => o.at)).toEqual([...all.map((o) => o.at)].sort().reverse());

    const first = await list(id, 'type=rejected&limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(id, `type=rejected&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items].map((o) => o.id)).toEqual(all.map((o) => o.id));

    // The operator turns on "journal non-internal addresses" and replays one rejection.
    expect((await api('PATCH', `/v1/connectors/${id}`, { journalNonInternalAddresses: true })).status).toBe(200);
    // The pipeline services cache a definition for up to 5 s ("a changed filter applies within seconds").
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const target = all[1]!;
    const replayed = await api('POST', `/v1/connectors/${id}/outcomes/${target.id}/replay`);
    expect(replayed.status).toBe(200);
    const outcomes = await pipeline.outcomesWhen(id, 'the replayed rejection archived', (o) => o.archived.length === 1);
    expect(outcomes.rejected).toHaveLength(3);
    const bytes = messages.find((m) => sha(m) === outcomes.archived[0]!.sha256Before);
    expect(bytes).toBeDefined();
    const report = await pipeline.reconcile(id);
    expect(report).toMatchObject({ ok: true, raw: 4, outcomes: { archived: 1, rejected: 3 } });
    expect(report.replayed).toHaveLength(1);
    expect(report.replayed[0]).toMatchObject({ originalOutcomes: ['rejected'], outcomes: ['archived'] });
  });

  it('replays a rejected message larger than the inline limit through the claim-check store', async () => {
    const id = await connector({ journalNonInternal: false });
    // An outcome record may carry up to its topic's 2 MiB inline; the poller inlines only 512 KiB.
    const bytes = Buffer.concat([external(`${tag}big`), Buffer.from(`\r\n${'padding line\r\n'.repeat(50_000)}`)]);
    expect(bytes.length).toBeGreaterThan(512 * 1024);
    await publish(id, [inlineRawBody(bytes)]);
    const [rejected] = await listed(id, 'rejected', 1);
    expect(rejected!.message).toEqual({ inline: { size: bytes.length } });
    expect((await api('PATCH', `/v1/connectors/${id}`, { journalNonInternalAddresses: true })).status).toBe(200);
    // The pipeline services cache a definition for up to 5 s.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect((await api('POST', `/v1/connectors/${id}/outcomes/${rejected!.id}/replay`)).status).toBe(200);
    const outcomes = await pipeline.outcomesWhen(id, 'the large replay archived', (o) => o.archived.length === 1);
    const archived = outcomes.archived[0]!;
    expect(archived.sha256Before).toBe(sha(bytes));
    const ref = archived.message;
    expect(ref && 'claimCheck' in ref).toBe(true);
    expect(await blobStore.get((ref as { claimCheck: Parameters<FileSystemBlobStore['get']>[0] }).claimCheck)).toEqual(
      bytes,
    );
    expect(await pipeline.reconcile(id)).toMatchObject({ ok: true, raw: 2, outcomes: { archived: 1, rejected: 1 } });
  });

  it('lists skipped messages with their error', async () => {
    const id = await connector();
    await dataSource.query(
      `INSERT INTO retrieval_failures (connector_id, uidl, scope, attempts, last_error, updated_at)
       VALUES ($1, 'u-skipped', '', 3, 'RETR 1: -ERR message is corrupt', now())`,
      [id],
    );
    const { producer } = await testProducer();
    await producer.send([
      statusRecord(id, {
        skipped: [{ uidl: 'u-skipped', attempts: 3, error: 'RETR 1: -ERR message is corrupt' }],
      }),
    ]);
    await producer.disconnect();
    const [skipped] = await listed(id, 'skipped', 1);
    expect(skipped).toMatchObject({
      id: 'skipped:u-skipped',
      type: 'skipped',
      reason: 'retrieval-failed',
      error: 'RETR 1: -ERR message is corrupt',
      attempts: 3,
      uidl: 'u-skipped',
      replayable: false,
    });
    const refused = await api('POST', `/v1/connectors/${id}/outcomes/skipped:u-skipped/replay`);
    expect(refused.status).toBe(400);
  });

  it('lists a hostile dead letter (NUL in its fields) and goes on counting', async () => {
    const id = await connector();
    const { producer } = await testProducer();
    const hostile = JSON.parse(deadLetterRecord(id).headers![RECORD_HEADERS.meta]!) as DeadLetterRecord;
    await producer.send([
      {
        topic: TOPICS.dlq,
        key: id,
        ...encodeMessageRecord(
          deadLetterRecordSchema,
          { ...hostile, rawId: `${id}/\u0000`, error: { code: 'validation', message: 'bad \u0000 byte' } },
          null,
        ),
      },
      deadLetterRecord(id),
    ]);
    await producer.disconnect();
    const items = await listed(id, 'dead-lettered', 2);
    expect(items.map((o) => o.error).sort()).toEqual(['bad \uFFFD byte', 'test']);
    await waitFor(
      'both counted',
      () => api<{ counters: { deadLettered: number } }>('GET', `/v1/connectors/${id}/status`),
      { until: (r) => r.body.counters.deadLettered === 2 },
    );
  });

  it('lists a new record at a position the database still holds for a record of recreated topics', async () => {
    const id = await connector();
    const { kafka, producer } = await testProducer();
    const record = deadLetterRecord(id);
    const [partition] = await kafka.partitionsForKeys(TOPICS.dlq, [record.key]);
    const end = (await kafka.topicOffsets(TOPICS.dlq)).find((p) => p.partition === partition)!.high;
    // What a rebuilt cluster leaves: the database's row for the old log's record at that position.
    await dataSource.query(
      `INSERT INTO message_outcomes (connector_id, type, topic, partition, "offset", raw_id, reason, error, at)
       VALUES ($1, 'dead-lettered', $2, $3, $4, $5, 'message-unparseable', 'from the old log', now() - interval '1 day')`,
      [id, TOPICS.dlq, partition, end, `${id}/old`],
    );
    await producer.send([record]);
    await producer.disconnect();
    await kafka.closeAdmin();
    const page = await waitFor('the new record listed in place of the old row', () => list(id, 'type=dead-lettered'), {
      until: (r) => r.status === 200 && r.body.items.some((o) => o.error === 'test'),
      timeoutMs: 90_000,
      everyMs: 500,
    });
    expect(page.body.items.map((o) => [o.error, o.source])).toEqual([
      ['test', { topic: TOPICS.dlq, partition, offset: end }],
    ]);
  });

  it('answers bad input with a clear error naming the field', async () => {
    const id = await connector();
    const missing = await list(id, '');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ fields: [{ field: 'type', message: expect.stringMatching(/is required/) }] });
    const bogus = await list(id, 'type=archived');
    expect(bogus.status).toBe(400);
    expect(JSON.stringify(bogus.body)).toMatch(/rejected, dead-lettered, skipped/);
    expect((await list(id, 'type=rejected&limit=0')).status).toBe(400);
    expect((await list(id, 'type=rejected&limit=201')).status).toBe(400);
    const cursor = await list(id, 'type=rejected&cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.body).toMatchObject({ fields: [{ field: 'cursor' }] });
    expect((await list(id, 'type=rejected&extra=1')).status).toBe(400);
    expect((await list(randomUUID(), 'type=rejected')).status).toBe(404);
    expect((await api('POST', `/v1/connectors/${id}/outcomes/abc/replay`)).status).toBe(400);
    expect((await api('POST', `/v1/connectors/${id}/outcomes/999999999/replay`)).status).toBe(404);
    expect((await list(id, 'type=rejected', apiClient(pipeline.service('status').baseUrl))).status).toBe(401);
  });
});
