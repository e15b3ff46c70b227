import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemBlobStore } from '#blob-store';
import {
  classifiedRecordSchema,
  encodeMessageRecord,
  encodeProgressRecord,
  formatRawHeaders,
  RAW_CONTENT_TYPES,
  rawId,
  rawRecordKey,
  RECORD_HEADERS,
  TOPICS,
} from '#contracts';
import { buildClassifiedRecord, DirectoryIndex } from '#journal';
import { headerString, readTopicsToEnd } from '#kafka';
import { createDataSource } from '#persistence';
import {
  deleteConnectors,
  generateJournalReport,
  insertConnector,
  Pipeline,
  seededRandom,
  startService,
  TEST_RUN_ID,
  testEnv,
  withRunMessageIds,
  type RunningService,
} from '#test-support';

const run = promisify(execFile);
const SAMPLES = 'test/fixtures/journal';
const sample = (name: string) => withRunMessageIds(readFileSync(join(SAMPLES, name)), TEST_RUN_ID);
/** Sample 01 with its participants alice@ and bob@contoso.com replaced by `alice` and `bob`. */
const sample01With = (alice: string, bob: string) =>
  Buffer.from(
    sample('01-exch2007-rtm-basic-fields.eml')
      .toString('latin1')
      .replaceAll('alice@contoso.com', alice)
      .replaceAll('bob@contoso.com', bob),
    'latin1',
  );
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// The envelope and policy services as processes on the real broker and database, fed raw
// records the way the poller publishes them.
describe('envelope and policy services', () => {
  const pipeline = new Pipeline();
  let dataSource: DataSource;
  let envelope: RunningService;
  let policy: RunningService;
  const connectors: string[] = [];

  beforeAll(async () => {
    dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 2 }).initialize();
    await dataSource.query(`INSERT INTO directory_domains (domain) VALUES ('contoso.com') ON CONFLICT DO NOTHING`);
    for (const address of ['alice@contoso.com', 'bob@contoso.com', 'peter@contoso.com', 'dave@contoso.com']) {
      await dataSource.query(`INSERT INTO directory_addresses (address) VALUES ($1) ON CONFLICT DO NOTHING`, [address]);
    }
    await dataSource.query(`UPDATE directory_revision SET revision = revision + 1`);
    envelope = await startService('envelope', { ...pipeline.env, INSTANCE_ID: 'envelope-it' });
    policy = await startService('policy', { ...pipeline.env, INSTANCE_ID: 'policy-it' });
  });

  afterAll(async () => {
    await envelope?.stop();
    await policy?.stop();
    await deleteConnectors(dataSource, connectors);
    await dataSource?.destroy();
  });

  async function connector(flags: {
    journalNonInternal?: boolean;
    journalUnknownInternal?: boolean;
    removeJournalHeaders?: boolean;
    serviceEmailAddress?: string;
  }): Promise<string> {
    const saved = await insertConnector(dataSource, { mailboxName: `it-${randomUUID()}`, password: 'x', ...flags });
    connectors.push(saved.id);
    return saved.id;
  }

  /**
   * Publishes raw records as the poller does: inline, or (`claimCheck`) through the blob store,
   * each with its progress record.
   */
  async function publish(
    connectorId: string,
    messages: Buffer[],
    options: { claimCheck?: boolean } = {},
  ): Promise<void> {
    const producer = await pipeline.kafka.createProducer();
    const blobStore = new FileSystemBlobStore(pipeline.blobDir);
    const records = [];
    for (const [i, bytes] of messages.entries()) {
      const contentType = options.claimCheck ? RAW_CONTENT_TYPES.claimCheck : RAW_CONTENT_TYPES.inline;
      records.push({
        topic: TOPICS.raw,
        key: rawRecordKey(connectorId, sha(bytes)),
        value: options.claimCheck ? Buffer.from(JSON.stringify(await blobStore.put(bytes))) : bytes,
        headers: formatRawHeaders({
          connectorId,
          uidl: `uidl-${i}`,
          sha256: sha(bytes),
          size: bytes.length,
          extractedAt: new Date().toISOString(),
          contentType,
        }),
      });
      records.push(encodeProgressRecord({ event: 'extracted', connectorId, rawId: rawId(connectorId, sha(bytes)) }));
    }
    await producer.send(records);
    await producer.disconnect();
  }

  /**
   * The connector's archive and merge progress records are exactly one per archived record (event,
   * raw id, archive id), committed with it: none missing, none extra, none doubled.
   */
  async function expectOneProgressPerArchived(
    connectorId: string,
    archived: Array<{ event: string; rawId: string; archiveId: string }>,
  ): Promise<void> {
    const line = (r: { event: string; rawId: string; archiveId?: string }) => `${r.event} ${r.rawId} ${r.archiveId}`;
    const progress = (await pipeline.progress(connectorId)).filter((p) => p.event !== 'extracted');
    expect(progress.map(line).sort()).toEqual(archived.map(line).sort());
  }

  const settle = (connectorId: string, expected: number) =>
    pipeline.outcomesWhen(
      connectorId,
      `${expected} outcomes`,
      (o) => o.archived.length + o.rejected.length + o.dead.length >= expected,
    );

  it('applies every combination of the journaling filters', async () => {
    // 02: internal; 01 rewritten to unknown contoso.com recipients (unknown-internal) and to fabrikam.com ones (external).
    const external = sample01With('x@fabrikam.com', 'y@fabrikam.com');
    const unknownInternal = sample01With('ann@contoso.com', 'ben@contoso.com');
    const base = [sample('02-exch2010-extended-fields-on-behalf-of.eml'), unknownInternal, external];
    const expectations: Array<[boolean, boolean, string[]]> = [
      [false, false, ['archive', 'unknown-internal-not-journaled', 'external-not-journaled']],
      [true, false, ['archive', 'unknown-internal-not-journaled', 'archive']],
      [false, true, ['archive', 'archive', 'external-not-journaled']],
      [true, true, ['archive', 'archive', 'archive']],
    ];
    for (const [combination, [journalNonInternal, journalUnknownInternal, expected]] of expectations.entries()) {
      // Originals unique to each connector: dedup keys are global, so shared ones would merge.
      const messages = base.map((bytes) => withRunMessageIds(bytes, `c${combination}`));
      const id = await connector({ journalNonInternal, journalUnknownInternal });
      await publish(id, messages);
      const outcomes = await settle(id, messages.length);
      const bySha = new Map<string, string>();
      for (const r of outcomes.archived) bySha.set(r.sha256Before, r.event);
      for (const r of outcomes.rejected) bySha.set(r.sha256, r.reason);
      expect(
        messages.map((m) => bySha.get(sha(m))),
        `non-internal=${journalNonInternal} unknown-internal=${journalUnknownInternal}`,
      ).toEqual(expected);
    }
  });

  it("never counts the connector's journal mailbox (serviceEmailAddress) as a participant", async () => {
    // 01 as a message from outside that only reached journal@contoso.com (unknown in the directory).
    const toJournalMailbox = (tag: string) =>
      withRunMessageIds(sample01With('journal@contoso.com', 'Journal@Contoso.com'), tag);
    const flags = { journalNonInternal: false, journalUnknownInternal: true };
    const own = await connector({ ...flags, serviceEmailAddress: 'journal@contoso.com' });
    const other = await connector({ ...flags, serviceEmailAddress: 'journal@journal.test' });
    const ownMessage = toJournalMailbox('jm-own');
    const otherMessage = toJournalMailbox('jm-other');
    await publish(own, [ownMessage]);
    await publish(other, [otherMessage]);
    // Its own journal mailbox left out, only the external sender remains: rejected as external.
    const ownOutcome = await settle(own, 1);
    expect(ownOutcome.rejected).toMatchObject([{ classification: 'external', reason: 'external-not-journaled' }]);
    // For a connector reading another mailbox, journal@contoso.com is an unknown internal address.
    const otherOutcome = await settle(other, 1);
    expect(otherOutcome.archived).toMatchObject([
      { event: 'archive', classification: 'unknown-internal', unknownInternalAddresses: ['journal@contoso.com'] },
    ]);
  });

  it('removes exactly the journal BCC header lines when asked, and records both hashes', async () => {
    const original = sample('04-bcc-and-bcc-group-with-org-headers.eml');
    const expected = Buffer.from(
      original.toString('latin1').replace(/^X-MS-Exchange-Organization-BCC:.*\r\n(?:[ \t].*\r\n)*/im, ''),
      'latin1',
    );
    expect(expected.length).toBeLessThan(original.length);
    const id = await connector({ removeJournalHeaders: true, journalNonInternal: true, journalUnknownInternal: true });
    await publish(id, [original]);
    const { archived } = await settle(id, 1);
    expect(archived[0]!.sha256Before).toBe(sha(original));
    expect(archived[0]!.sha256After).toBe(sha(expected));
    expect(archived[0]!.removedHeaders.join()).toMatch(/X-MS-Exchange-Organization-BCC/i);
    expect((archived[0]!.message as { inline: Buffer }).inline.equals(expected)).toBe(true);
  });

  it('removes journal headers from a claim-checked message by streaming it into a new blob', async () => {
    // Message-IDs of their own: the inline test above archived this sample already.
    const original = withRunMessageIds(
      readFileSync(join(SAMPLES, '04-bcc-and-bcc-group-with-org-headers.eml')),
      `${TEST_RUN_ID}cc`,
    );
    const expected = Buffer.from(
      original.toString('latin1').replace(/^X-MS-Exchange-Organization-BCC:.*\r\n(?:[ \t].*\r\n)*/im, ''),
      'latin1',
    );
    const id = await connector({ removeJournalHeaders: true, journalNonInternal: true, journalUnknownInternal: true });
    await publish(id, [original], { claimCheck: true });
    const { archived } = await settle(id, 1);
    const message = archived[0]!.message as { claimCheck: { key: string; sha256: string; size: number } };
    expect(message.claimCheck).toMatchObject({ sha256: sha(expected), size: expected.length });
    expect(readFileSync(join(pipeline.blobDir, message.claimCheck.key)).equals(expected)).toBe(true);
    expect(archived[0]!.sha256Before).toBe(sha(original));
    expect(archived[0]!.sha256After).toBe(sha(expected));
    expect(archived[0]!.removedHeaders.join()).toMatch(/X-MS-Exchange-Organization-BCC/i);
  });

  it('gives a plain consumer of journal.archived.v2 the exact report as the value, and each original by its byte range', async () => {
    // Generated reports carry an X-MS-Exchange-Organization-BCC line in their original: kept as it
    // came for one connector, removed for the other (the advertised ranges follow the removal).
    const random = seededRandom(1616);
    const report = generateJournalReport(16_001, 6000, random, `${TEST_RUN_ID}-plain`).bytes;
    const removed = generateJournalReport(16_002, 6000, random, `${TEST_RUN_ID}-plain`).bytes;
    const originalOf = (bytes: Buffer) => {
      const text = bytes.toString('latin1');
      const start =
        text.indexOf('Content-Disposition: attachment\r\n\r\n') + 'Content-Disposition: attachment\r\n\r\n'.length;
      return bytes.subarray(start, text.lastIndexOf('\r\n--'));
    };
    const withoutBcc = (bytes: Buffer) =>
      Buffer.from(bytes.toString('latin1').replace(/^X-MS-Exchange-Organization-BCC:.*\r\n/m, ''), 'latin1');
    const kept = await connector({ journalNonInternal: true, journalUnknownInternal: true });
    const stripped = await connector({
      removeJournalHeaders: true,
      journalNonInternal: true,
      journalUnknownInternal: true,
    });
    await publish(kept, [report]);
    await publish(stripped, [removed]);
    await settle(kept, 1);
    await settle(stripped, 1);

    // What kcat or Kafka Connect's ByteArrayConverter sees: the value, and headers as bytes.
    const seen = new Map<
      string,
      {
        value: Buffer;
        contentType?: string;
        meta: { originals: Array<{ start: number; end: number; mediaType: string }>; sha256After: string };
      }
    >();
    await readTopicsToEnd(
      pipeline.kafka,
      [TOPICS.archived],
      (record) => {
        const connectorId = headerString(record.headers, RECORD_HEADERS.connectorId);
        if (connectorId !== kept && connectorId !== stripped) return;
        seen.set(connectorId, {
          value: record.value!,
          contentType: headerString(record.headers, 'content-type'),
          meta: JSON.parse(headerString(record.headers, 'jw-meta')!),
        });
      },
      { since: pipeline.since },
    );
    const asCame = seen.get(kept)!;
    expect(asCame.contentType).toBe('message/rfc822');
    expect(asCame.value.equals(report)).toBe(true);
    expect(asCame.meta.originals).toHaveLength(1);
    const [original] = asCame.meta.originals;
    expect(original!.mediaType).toBe('message/rfc822');
    expect(asCame.value.subarray(original!.start, original!.end).equals(originalOf(report))).toBe(true);

    const asKept = seen.get(stripped)!;
    expect(asKept.value.equals(withoutBcc(removed))).toBe(true);
    expect(sha(asKept.value)).toBe(asKept.meta.sha256After);
    const [shifted] = asKept.meta.originals;
    const sliced = asKept.value.subarray(shifted!.start, shifted!.end);
    expect(sliced.equals(withoutBcc(originalOf(removed)))).toBe(true);
    expect(sliced.toString('latin1')).not.toMatch(/X-MS-Exchange-Organization-BCC/i);
  });

  it('dead-letters a claim-checked message whose blob is gone, and goes on', async () => {
    const id = await connector({ removeJournalHeaders: true, journalNonInternal: true, journalUnknownInternal: true });
    const gone = Buffer.from(
      sample('02-exch2010-extended-fields-on-behalf-of.eml').toString('latin1').replace('Subject:', 'Subject: gone'),
      'latin1',
    );
    const kept = sample('01-exch2007-rtm-basic-fields.eml');
    await publish(id, [gone], { claimCheck: true });
    const key = `${sha(gone).slice(0, 2)}/${sha(gone)}`;
    rmSync(join(pipeline.blobDir, key));
    await publish(id, [kept], { claimCheck: true });
    const outcomes = await settle(id, 2);
    expect(outcomes.dead).toHaveLength(1);
    expect(outcomes.dead[0]!.error.message).toMatch(/missing/);
    expect(outcomes.archived.map((r) => r.sha256Before)).toEqual([sha(kept)]);
  });

  it('archives a report whose Message-ID holds a NUL, and goes on', async () => {
    const id = await connector({ journalNonInternal: true, journalUnknownInternal: true });
    const nul = Buffer.from(
      sample('02-exch2010-extended-fields-on-behalf-of.eml')
        .toString('latin1')
        .replace(/^(message-id:\s*<)/gim, '$1nul\u0000'),
      'latin1',
    );
    const after = withRunMessageIds(
      readFileSync(join(SAMPLES, '01-exch2007-rtm-basic-fields.eml')),
      `${TEST_RUN_ID}nul`,
    );
    await publish(id, [nul, after]);
    const { archived, dead } = await settle(id, 2);
    expect(dead).toEqual([]);
    expect(archived.map((r) => r.sha256Before).sort()).toEqual([sha(nul), sha(after)].sort());
    expect(archived.find((r) => r.sha256Before === sha(nul))!.messageId).toContain('\u0000');
  });

  it('dead-letters the one record of a chunk PostgreSQL refuses, and decides the rest', async () => {
    // A classified record the envelope would never write: its raw id holds a NUL.
    const id = await connector({ journalNonInternal: true, journalUnknownInternal: true });
    const directory = new DirectoryIndex({ domains: [{ domain: 'contoso.com' }], addresses: [] });
    const classifiedOf = (bytes: Buffer, offset: number, rawIdSuffix = '') => {
      const record = buildClassifiedRecord({
        raw: bytes,
        rawRecord: { partition: 0, offset: String(offset) },
        connectorId: id,
        uidl: `u${offset}`,
        sha256: sha(bytes),
        size: bytes.length,
        journalType: 'envelope',
        extractedAt: new Date().toISOString(),
        directory,
      });
      const meta = { ...record, rawId: `${record.rawId}${rawIdSuffix}` };
      return {
        topic: TOPICS.classified,
        key: id,
        ...encodeMessageRecord(classifiedRecordSchema, meta, { inline: bytes }),
      };
    };
    const good = withRunMessageIds(
      readFileSync(join(SAMPLES, '02-exch2010-extended-fields-on-behalf-of.eml')),
      `${TEST_RUN_ID}pg`,
    );
    const hostile = classifiedOf(
      withRunMessageIds(readFileSync(join(SAMPLES, '01-exch2007-rtm-basic-fields.eml')), `${TEST_RUN_ID}pg`),
      1,
      '\u0000',
    );
    const producer = await pipeline.kafka.createProducer();
    await producer.send([hostile, classifiedOf(good, 2)]);
    await producer.disconnect();
    const { archived, dead } = await settle(id, 2);
    expect(archived.map((r) => r.sha256Before)).toEqual([sha(good)]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.stage).toBe('policy');
    expect(dead[0]!.error.message).toMatch(/PostgreSQL/);
  });

  it('archives once for a redelivery and for two reports of one original, merging the rest', async () => {
    const id = await connector({ journalNonInternal: true, journalUnknownInternal: true });
    const first = sample('03-exch2013-dl-expanded-and-forwarded.eml');
    const second = sample('12-duplicate-report-second-server-same-original.eml');
    await publish(id, [first, first, second]);
    const { archived } = await settle(id, 3);
    expect(archived.map((r) => r.event).sort()).toEqual(['archive', 'merge', 'merge']);
    expect(new Set(archived.map((r) => r.archiveId)).size).toBe(1);
    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    // One progress record per archive and per merge: what the status service counts them by.
    await expectOneProgressPerArchived(id, archived);
  });

  it('loses nothing and archives nothing twice when the policy service is killed mid-stream', async () => {
    const id = await connector({ journalNonInternal: true, journalUnknownInternal: true });
    const random = seededRandom(99);
    const messages = Array.from({ length: 400 }, (_, i) => generateJournalReport(i, 3000, random, TEST_RUN_ID).bytes);
    await publish(id, messages);
    await new Promise((r) => setTimeout(r, 700));
    await policy.kill();
    policy = await startService('policy', { ...pipeline.env, INSTANCE_ID: 'policy-it' });
    await settle(id, messages.length);
    const report = await pipeline.reconcile(id);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.archivedTwice).toEqual([]);
    // The progress records committed and aborted with their archives across the kill.
    await expectOneProgressPerArchived(id, (await pipeline.outcomes(id)).archived);
  });

  it('reconciliation finds a planted gap and exits non-zero', async () => {
    const id = await connector({ journalNonInternal: true });
    await envelope.stop();
    try {
      await publish(id, [sample('02-exch2010-extended-fields-on-behalf-of.eml')]);
      const result = await run(process.execPath, [
        'dist/scripts/reconcile.js',
        '--connector',
        id,
        '--since',
        pipeline.since.toISOString(),
        '--json',
      ]).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { missing: unknown[]; ok: boolean };
      expect(report.ok).toBe(false);
      expect(report.missing).toHaveLength(1);
    } finally {
      envelope = await startService('envelope', { ...pipeline.env, INSTANCE_ID: 'envelope-it' });
    }
    await settle(id, 1);
  });
});
