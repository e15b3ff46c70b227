import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '#contracts';
import { headersToStrings } from '#kafka';
import {
  generateJournalReport,
  journalSize,
  Pipeline,
  seededRandom,
  TEST_RUN_ID,
  withRunMessageIds,
} from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

const SAMPLES = 'test/fixtures/journal';
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the whole pipeline, as a user runs it', () => {
  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '20' });

  beforeAll(async () => {
    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  it('drains the sample reports and generated ones, and gives every message exactly one outcome', async () => {
    const samples = readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    // Each run makes the samples' Message-IDs its own, so originals archived by earlier runs
    // (dedup keys are global) do not turn this run's archives into merges.
    const sampleBytes = new Map(
      samples.map((name) => [name, withRunMessageIds(readFileSync(join(SAMPLES, name)), TEST_RUN_ID)]),
    );
    const random = seededRandom(2026);
    const generated = Array.from(
      { length: 40 },
      (_, i) => generateJournalReport(i, journalSize(random) / 4, random, TEST_RUN_ID).bytes,
    );
    const files = [...sampleBytes.values(), ...generated];

    const { id, mailbox } = await pipeline.connectorWithMailbox(files, {
      removeJournalHeaders: true,
      journalNonInternalAddresses: false,
      journalUnknownInternalAddresses: true,
    });
    const status = await pipeline.waitUntilDrained(id, mailbox, files.length);

    expect(status.serviceStatus).toBe('ok');
    expect(status.lastSuccessfulExtract).not.toBeNull();
    expect(status.processingQueue).toBe(0);
    expect(status.pop3MailboxQueue).toBe(0);
    expect(status.counters.extracted).toBe(files.length);

    const { archived, rejected, dead } = await pipeline.outcomes(id);
    expect(archived.length + rejected.length + dead.length).toBe(files.length);
    expect(dead).toEqual([]);
    expect(status.counters.archived + status.counters.merged).toBe(archived.length);
    expect(status.counters.rejected).toBe(rejected.length);

    const bySha = (name: string) => archived.find((r) => r.sha256Before === sha(sampleBytes.get(name)!));
    // 12 is a second report of 03's original: one archive, one merge into it. The two may sit on
    // different partitions (keyed by raw id), so either can be the one decided first.
    const first = bySha('03-exch2013-dl-expanded-and-forwarded.eml');
    const second = bySha('12-duplicate-report-second-server-same-original.eml');
    expect([first?.event, second?.event].sort()).toEqual(['archive', 'merge']);
    expect(second?.archiveId).toBe(first?.archiveId);
    expect([...(first?.mailboxes ?? []), ...(second?.mailboxes ?? [])]).toEqual(
      expect.arrayContaining([
        'alice@contoso.com',
        'erin@contoso.com',
        'gina@contoso.com',
        'hank@contoso.com',
        'bob@contoso.com',
      ]),
    );

    // Journal header removal: exactly the BCC field, and the hashes tell before from after.
    const withBcc = bySha('04-bcc-and-bcc-group-with-org-headers.eml');
    expect(withBcc?.removedHeaders.join(' ')).toMatch(/X-MS-Exchange-Organization-BCC/i);
    expect(withBcc?.sha256After).not.toBe(withBcc?.sha256Before);
    const archivedBytes = (withBcc?.message as { inline: Buffer }).inline;
    expect(sha(archivedBytes)).toBe(withBcc?.sha256After);
    expect(archivedBytes.toString('latin1')).not.toMatch(/^X-MS-Exchange-Organization-BCC/im);

    // Step-down: a message without a journal envelope is archived as a plain message.
    const plain = bySha('08-non-enveloped-forwarded-attachment-step-down.eml');
    expect(plain?.kind).toBe('plain');

    // Every generated report with only external participants is rejected; the rest archived.
    for (const record of rejected)
      expect(['external-not-journaled', 'unknown-internal-not-journaled']).toContain(record.reason);
    expect(rejected.every((r) => r.classification === 'external')).toBe(true);

    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    expect(report.raw).toBe(files.length);
  });

  it('follows one message from RETR to archive with one trace id in the Kafka headers', async () => {
    const random = seededRandom(7);
    const { id, mailbox } = await pipeline.connectorWithMailbox(
      [generateJournalReport(1, 4096, random, TEST_RUN_ID).bytes],
      { journalNonInternalAddresses: true },
    );
    await pipeline.waitUntilDrained(id, mailbox, 1);
    const traces = new Map<string, string>();
    await pipeline.readTopics([TOPICS.raw, TOPICS.classified, TOPICS.archived], (record) => {
      const strings = headersToStrings(record.headers);
      // Every v2 topic names the connector in a header: nothing here reads a value.
      const belongs = strings['jw-connector-id'] === id;
      if (belongs && strings.traceparent) traces.set(record.topic, strings.traceparent.split('-')[1] ?? '');
    });
    expect(traces.get(TOPICS.raw)).toMatch(/^[0-9a-f]{32}$/);
    expect(traces.get(TOPICS.classified)).toBe(traces.get(TOPICS.raw));
    expect(traces.get(TOPICS.archived)).toBe(traces.get(TOPICS.raw));
  });
});
