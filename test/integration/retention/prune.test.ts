import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemBlobStore } from '#blob-store';
import {
  deadLetterRecordSchema,
  encodeMessageRecord,
  RECORD_HEADERS,
  TOPICS,
  type ClaimCheck,
  type DeadLetterRecord,
} from '#contracts';
import { KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { createDataSource } from '#persistence';
import { RetentionJob } from '#retention';
import { testEnv, testKafka } from '#test-support';
import { ExtractionLedger } from '../../../apps/poller/src/ledger.js';
import { deadLetterRecord } from '../../support/status-records.js';

const run = promisify(execFile);
const DAY = 24 * 3600 * 1000;

// Pruning on the real PostgreSQL, Kafka (its topic retention, its retained records) and a blob
// directory. Topics as `npm run topics` makes them: 7 days (DLQ 30) plus Kafka's 7-day segments.
describe('pruning bounded state', () => {
  const logger = createLogger({ service: 'retention-test', level: 'warn' });
  const kafka = new KafkaGateway(testKafka('retention-test'), logger);
  const blobDir = join(testEnv.runDir, `retention-blobs-${randomUUID()}`);
  const blobs = new FileSystemBlobStore(blobDir);
  const connector = randomUUID();
  const tag = randomUUID();
  let dataSource: DataSource;
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);

  beforeAll(async () => {
    mkdirSync(blobDir, { recursive: true });
    dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 3 }).initialize();
  });
  afterAll(async () => {
    await dataSource.query('DELETE FROM extraction_ledger WHERE connector_id = $1', [connector]);
    await dataSource.query('DELETE FROM extraction_ledger_pruned WHERE connector_id = $1', [connector]);
    await dataSource.query('DELETE FROM connector_events WHERE connector_id = $1', [connector]);
    await dataSource.query('DELETE FROM raw_outcomes WHERE raw_id LIKE $1', [`${tag}/%`]);
    await dataSource.query('DELETE FROM archive_keys WHERE dedup_key LIKE $1', [`${tag}/%`]);
    await dataSource.destroy();
  });

  const job = (settings: Partial<ConstructorParameters<typeof RetentionJob>[1]> = {}) =>
    new RetentionJob(
      { dataSource, kafka, logger, blobDir },
      { batchSize: 2, dedupWindowDays: 30, eventRetentionDays: 365, blobMarginHours: 24, ...settings },
    );

  async function seed(): Promise<{
    orphan: ClaimCheck;
    referenced: ClaimCheck;
    overflowed: ClaimCheck;
    young: ClaimCheck;
  }> {
    const ledger = (uidl: string, publishedAt: Date, deletedAt: Date | null) =>
      dataSource.query(
        `INSERT INTO extraction_ledger (connector_id, uidl, sha256, size, published_at, deleted_at) VALUES ($1, $2, 'x', 1, $3, $4)`,
        [connector, uidl, publishedAt, deletedAt],
      );
    // Raw topic: 7 days + 7-day segments = 14 days.
    for (let i = 0; i < 5; i++) await ledger(`gone-${i}`, ago(40), ago(20)); // deleted 20 days ago: prunable
    await ledger('deleted-recently', ago(3), ago(2)); // its raw record may still be replayed
    await ledger('never-deleted', ago(400), null); // still in the mailbox: must stay forever

    const outcome = (raw: string, decidedAt: Date) =>
      dataSource.query(
        `INSERT INTO raw_outcomes (raw_id, outcome, archive_id, decided_at, raw_partition, raw_offset) VALUES ($1, 'archived', 'a', $2, 0, '0')`,
        [`${tag}/${raw}`, decidedAt],
      );
    const claim = (key: string, createdAt: Date) =>
      dataSource.query(
        `INSERT INTO archive_keys (dedup_key, archive_id, first_raw_id, mailboxes, created_at) VALUES ($1, 'a', 'r', '[]', $2)`,
        [`${tag}/${key}`, createdAt],
      );
    for (let i = 0; i < 3; i++) {
      await outcome(`old-${i}`, ago(45));
      await claim(`old-${i}`, ago(45));
    }
    await outcome('in-window', ago(29));
    await claim('in-window', ago(29));

    const event = (at: Date) =>
      dataSource.query(`INSERT INTO connector_events (connector_id, at, actor, action) VALUES ($1, $2, 'test', 'x')`, [
        connector,
        at,
      ]);
    await event(ago(400));
    await event(ago(400));
    await event(ago(300));

    // Longest topic: the DLQ, 30 days + 7-day segments; with the margin a blob may go after 38 days.
    const put = async (label: string, ageDays: number) => {
      const check = await blobs.put(Buffer.from(`${tag} ${label}`));
      const at = ago(ageDays);
      utimesSync(join(blobDir, check.key), at, at);
      return check;
    };
    const checks = {
      orphan: await put('orphan', 60),
      referenced: await put('referenced by a retained dead letter', 60),
      overflowed: await put('referenced by the metadata header of a retained dead letter', 60),
      young: await put('young', 20),
    };
    const base = JSON.parse(deadLetterRecord(connector).headers![RECORD_HEADERS.meta]!) as DeadLetterRecord;
    const producer = await kafka.createProducer();
    await producer.send([
      // The message moved to the store: the claim check is the value.
      {
        topic: TOPICS.dlq,
        key: base.rawId,
        ...encodeMessageRecord(deadLetterRecordSchema, base, { claimCheck: checks.referenced }),
      },
      // Metadata moved to the store: the claim check is inside the jw-meta header.
      {
        topic: TOPICS.dlq,
        key: base.rawId,
        ...encodeMessageRecord(
          deadLetterRecordSchema,
          { ...base, uidl: null, overflow: { claimCheck: checks.overflowed, fields: ['uidl'] } },
          null,
        ),
      },
    ]);
    await producer.disconnect();
    return checks;
  }

  it('removes only what no replay and no late duplicate can need, in batches', async () => {
    const checks = await seed();
    const extracted = new ExtractionLedger(dataSource);
    const totalBefore = await extracted.countPublished(connector);

    const report = await job().runOnce(now);

    expect(report).toMatchObject({ ledgerRows: 5, eventRows: 2, blobsRemoved: 1, notes: [] });
    // Other tests' rows may be old enough too; ours are counted exactly below.
    expect(report!.blobsKept).toBeGreaterThanOrEqual(1);
    const uidls = await dataSource.query<Array<{ uidl: string }>>(
      'SELECT uidl FROM extraction_ledger WHERE connector_id = $1 ORDER BY uidl',
      [connector],
    );
    expect(uidls.map((r) => r.uidl)).toEqual(['deleted-recently', 'never-deleted']);
    expect(await extracted.countPublished(connector)).toBe(totalBefore);

    const outcomes = await dataSource.query<Array<{ raw_id: string }>>(
      'SELECT raw_id FROM raw_outcomes WHERE raw_id LIKE $1',
      [`${tag}/%`],
    );
    expect(outcomes.map((r) => r.raw_id)).toEqual([`${tag}/in-window`]);
    const keys = await dataSource.query<Array<{ dedup_key: string }>>(
      'SELECT dedup_key FROM archive_keys WHERE dedup_key LIKE $1',
      [`${tag}/%`],
    );
    expect(keys.map((r) => r.dedup_key)).toEqual([`${tag}/in-window`]);
    const events = await dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM connector_events WHERE connector_id = $1',
      [connector],
    );
    expect(events[0]?.n).toBe(1);

    expect(existsSync(join(blobDir, checks.orphan.key))).toBe(false);
    expect((await blobs.get(checks.referenced)).toString()).toBe(`${tag} referenced by a retained dead letter`);
    expect((await blobs.get(checks.overflowed)).toString()).toContain('metadata header');
    expect((await blobs.get(checks.young)).toString()).toBe(`${tag} young`);

    // A second run finds nothing more of ours.
    const again = await job().runOnce(now);
    expect(again).toMatchObject({ ledgerRows: 0, eventRows: 0, blobsRemoved: 0 });
  });

  it('keeps events forever with EVENT_RETENTION_DAYS=0, and one run at a time', async () => {
    await dataSource.query(`INSERT INTO connector_events (connector_id, at, actor, action) VALUES ($1, $2, 't', 'x')`, [
      connector,
      ago(4000),
    ]);
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [0x6a770001]);
    expect(await job().runOnce(now)).toBeNull();
    await runner.query('SELECT pg_advisory_unlock($1)', [0x6a770001]);
    await runner.release();
    const report = await job({ eventRetentionDays: 0 }).runOnce(now);
    expect(report?.notes).toEqual(['events kept: EVENT_RETENTION_DAYS is 0']);
    const events = await dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM connector_events WHERE connector_id = $1',
      [connector],
    );
    expect(events[0]?.n).toBe(2);
  });

  it('runs as `npm run prune` and prints its report', async () => {
    const { stdout } = await run(process.execPath, ['dist/scripts/prune.js'], {
      env: { ...process.env, DATABASE_URL: testEnv.databaseUrl, BLOB_DIR: blobDir },
    });
    expect(JSON.parse(stdout)).toMatchObject({ ledgerRows: expect.any(Number), blobsRemoved: 0, notes: [] });
  });
});
