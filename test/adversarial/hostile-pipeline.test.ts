import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemBlobStore, resolveOverflow } from '#blob-store';
import { archivedRecordSchema, type MessageBody } from '#contracts';
import { readConnectorRecords, type ConnectorRecords } from '#kafka';
import {
  distributionListReport,
  envelopeReport,
  generateJournalReport,
  hostileItems,
  longMessageIdReport,
  mailboxCount,
  Pipeline,
  seededRandom,
  TEST_RUN_ID,
  type HostileItem,
} from '#test-support';
import { E2E_DIRECTORY } from '../e2e/directory.js';

/** Every item must reach its outcome within this, the bound. */
const OUTCOME_DEADLINE_MS = 120_000;

const run = promisify(execFile);

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// Hostile journal reports through the real pipeline (Dovecot, Kafka, the four services as
// processes): every item gets exactly one outcome, the ordinary report behind each is archived,
// and reconciliation passes (the library call and the built `npm run reconcile` script). Nothing
// here asserts a duration beyond the two minutes.
describe('hostile journal items through the real pipeline', () => {
  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '20' });
  const blobs = new FileSystemBlobStore(pipeline.blobDir);
  const random = seededRandom(13);

  beforeAll(async () => {
    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  /** Delivers each item followed by an ordinary report, drains, and checks every outcome. */
  async function drain(items: HostileItem[]): Promise<{ records: ConnectorRecords; ordinary: Buffer[] }> {
    const ordinary = items.map(
      (item, i) => generateJournalReport(i, 4096, random, `${TEST_RUN_ID}-${item.name}`).bytes,
    );
    const files = items.flatMap((item, i) => [item.bytes, ordinary[i]!]);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, {
      journalNonInternalAddresses: true,
      journalUnknownInternalAddresses: true,
    });
    await pipeline.waitUntilDrained(id, mailbox, files.length, OUTCOME_DEADLINE_MS);

    const report = await pipeline.reconcile(id);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.raw).toBe(files.length);
    expect(report.ok).toBe(true);
    // And as an operator runs it (`npm run reconcile`): the built script, which exits non-zero on a gap.
    const { stdout } = await run(process.execPath, ['dist/scripts/reconcile.js', '--connector', id], {
      env: { ...process.env, ...pipeline.env },
    });
    expect(stdout).toMatch(new RegExp(`raw records\\s+${files.length}\\b`));
    expect(stdout).toMatch(/OK: every raw record has exactly one outcome/);

    const records = await readConnectorRecords(pipeline.kafka, id, {
      since: pipeline.since,
      raw: true,
      messages: true,
    });
    const refKey = (ref: { partition: number; offset: string }) => `${ref.partition}:${ref.offset}`;
    const shaOf = new Map(records.raws.map((raw) => [refKey(raw.ref), raw.sha256]));
    const outcomesOf = new Map<string, string[]>();
    const note = (ref: { partition: number; offset: string } | null, kind: string) => {
      if (ref) outcomesOf.set(refKey(ref), [...(outcomesOf.get(refKey(ref)) ?? []), kind]);
    };
    for (const r of records.archived) note(r.rawRecord, r.event === 'archive' ? 'archived' : 'merged');
    for (const r of records.rejected) note(r.rawRecord, 'rejected');
    for (const r of records.dead) note(r.rawRecord, 'dead-lettered');

    // Raw records spread over partitions (keyed by raw id): each file is found by its sha256.
    expect(records.raws).toHaveLength(files.length);
    const rawsBySha = new Map<string, typeof records.raws>();
    for (const raw of records.raws) rawsBySha.set(raw.sha256, [...(rawsBySha.get(raw.sha256) ?? []), raw]);
    const expectedShas = new Set(files.filter((bytes) => bytes.length > 0).map(sha));
    // An empty message, which a server stores as a blank line, arrives with another sha256.
    const take = (digest: string | null) => {
      const key = digest ?? [...rawsBySha.keys()].find((candidate) => !expectedShas.has(candidate));
      const list = key === undefined ? undefined : rawsBySha.get(key);
      const raw = list?.shift();
      expect(raw, `a raw record for ${digest ?? 'an empty message'}`).toBeDefined();
      if (key !== undefined && list?.length === 0) rawsBySha.delete(key);
      return raw!;
    };
    for (const [i, item] of items.entries()) {
      // Byte-exact through Dovecot and POP3, except an empty message.
      const raw = take(item.bytes.length > 0 ? item.sha256 : null);
      const outcomes = outcomesOf.get(refKey(raw.ref)) ?? [];
      expect({ item: item.name, outcomes: outcomes.length }).toEqual({ item: item.name, outcomes: 1 });
      if (item.expect === 'archived')
        expect({ item: item.name, outcomes }).toEqual({ item: item.name, outcomes: ['archived'] });
      const behind = take(sha(ordinary[i]!));
      expect({ behind: item.name, outcomes: outcomesOf.get(refKey(behind.ref)) }).toEqual({
        behind: item.name,
        outcomes: ['archived'],
      });
    }

    // Rejected and dead-lettered records keep the message, so an operator can replay it.
    for (const record of [...records.rejected, ...records.dead]) {
      expect(record.message).toBeTruthy();
      const bytes = await messageBytes(record.message!);
      expect(sha(bytes)).toBe(shaOf.get(refKey(record.rawRecord!)));
    }
    return { records, ordinary };
  }

  async function messageBytes(ref: MessageBody): Promise<Buffer> {
    return 'inline' in ref ? ref.inline : blobs.get(ref.claimCheck);
  }

  it('does not extract while the directory has no internal domain, unless the connector allows it', async () => {
    const directory = await pipeline.api<{ domains: Array<{ domain: string }> }>('GET', '/v1/directory');
    for (const { domain } of directory.domains)
      await pipeline.api('DELETE', `/v1/directory/domains/${encodeURIComponent(domain)}`);
    try {
      // No participant is in the directory's addresses either: every one is external.
      const tag = `empty-directory-${TEST_RUN_ID}`;
      const report = envelopeReport({
        tag,
        envelope: ['Sender: buyer@fabrikam.com', `Message-Id: <${tag}@fabrikam.com>`, 'To: seller@northwind.example'],
        originalHeaders: [
          'From: buyer@fabrikam.com',
          'To: seller@northwind.example',
          `Message-ID: <${tag}@fabrikam.com>`,
        ],
      });
      const { id, mailbox } = await pipeline.connectorWithMailbox([report]);
      const deadline = Date.now() + OUTCOME_DEADLINE_MS;
      let status = await pipeline.status(id);
      while (status.lastError?.code !== 'directory-empty' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        status = await pipeline.status(id);
      }
      expect(status.serviceStatus).toBe('error');
      expect(status.lastError?.message).toMatch(/no internal domain/);
      expect(await mailboxCount(mailbox)).toBe(1);
      expect(status.counters.extracted).toBe(0);

      await pipeline.api('PATCH', `/v1/connectors/${id}`, { allowEmptyDirectory: true });
      await pipeline.waitUntilDrained(id, mailbox, 1, OUTCOME_DEADLINE_MS);
      // Every participant is external: rejected with the default filters, and the rejection keeps the bytes.
      const { archived, rejected, dead } = await pipeline.outcomes(id);
      expect([archived.length, rejected.length, dead.length]).toEqual([0, 1, 0]);
      expect(sha(await messageBytes(rejected[0]!.message!))).toBe(sha(report));
    } finally {
      await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
    }
  });

  it('archives a report to a 30,000-member distribution list (about 2 MB) with every recipient', async () => {
    const item = distributionListReport(`dl-${TEST_RUN_ID}`, 30_000);
    const { records } = await drain([{ name: 'dl', bytes: item, sha256: sha(item), expect: 'archived' }]);
    const archived = records.archived.find((r) => r.sha256Before === sha(item))!;
    const full = await resolveOverflow(archivedRecordSchema, archived, blobs);
    expect(full.recipients).toHaveLength(30_000);
    expect(full.recipients[29_999]).toMatchObject({
      address: `member29999.dl-${TEST_RUN_ID}@contoso.com`,
      via: 'expanded',
      viaAddress: 'everyone@contoso.com',
    });
  });

  it('archives a report whose original has a Message-ID of several KB', async () => {
    const item = longMessageIdReport(`mid-${TEST_RUN_ID}`, 6000);
    const { records } = await drain([{ name: 'mid', bytes: item, sha256: sha(item), expect: 'archived' }]);
    const archived = records.archived.find((r) => r.sha256Before === sha(item))!;
    const full = await resolveOverflow(archivedRecordSchema, archived, blobs);
    expect(full.messageId?.length).toBeGreaterThan(5900);
  });

  it('gives every hostile item exactly one outcome and archives the ordinary report behind each', async () => {
    const items = hostileItems(TEST_RUN_ID);
    const { records } = await drain(items);
    const huge = records.archived.find(
      (r) => r.sha256Before === items.find((i) => i.name === 'distribution-list-100k')!.sha256,
    )!;
    const full = await resolveOverflow(archivedRecordSchema, huge, blobs);
    expect(full.recipients).toHaveLength(100_000);
  });
});
