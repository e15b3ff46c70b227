import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimCheckSchema, RAW_CONTENT_TYPES, rawRecordKey } from '#contracts';
import { countBy, pollerSuite } from '../../support/poller-fixture.js';
import { readLogLines, waitFor } from '#test-support';
import { mailbox, peakRss, sha256, writeLargeMessage } from '../../support/poller-harness.js';

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('poller: draining a journal mailbox into journal.raw.v2', () => {
  const suite = pollerSuite();

  it('publishes 200 varied messages byte for byte, deletes them, and reports ok', async () => {
    // 1 KiB .. 700 KiB: most inline, a few above the 512 KiB inline limit (claim checks).
    const { connector, user, messages } = await suite.ctx.connectorWithMessages(
      'drain',
      200,
      { minSize: 1024, maxSize: 700 * 1024 },
      { maxMessagesPerSession: 120 },
    );
    const blobDir = await suite.ctx.scratch('drain-blobs');
    expect(await mailbox.count(user)).toBe(200);

    const started = Date.now();
    const poller = await suite.ctx.startPoller({ BLOB_DIR: blobDir });
    await waitFor('200 raw records', () => suite.ctx.rawFor(connector.id).length >= 200, { timeoutMs: 90_000 });
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 30_000 });
    const elapsed = Date.now() - started;

    const records = suite.ctx.rawFor(connector.id);
    expect(records).toHaveLength(200);
    expect([...countBy(records, 'jw-uidl').values()].every((n) => n === 1)).toBe(true);
    const published = countBy(records, 'jw-sha256');
    for (const message of messages) expect(published.get(message.sha256), `message ${message.file}`).toBe(1);

    expect(new Set(records.map((record) => record.partition)).size).toBeGreaterThan(1);
    let claimChecks = 0;
    for (const record of records) {
      // Keyed by raw id: the connector's records spread over the partitions.
      expect(record.key).toBe(rawRecordKey(connector.id, record.headers['jw-sha256']!));
      expect(record.headers['jw-connector-id']).toBe(connector.id);
      expect(Number.isNaN(Date.parse(record.headers['jw-extracted-at'] ?? ''))).toBe(false);
      if (record.headers['content-type'] === RAW_CONTENT_TYPES.inline) {
        expect(sha256(record.value!)).toBe(record.headers['jw-sha256']);
        expect(record.value!.length).toBe(Number(record.headers['jw-size']));
      } else {
        expect(record.headers['content-type']).toBe(RAW_CONTENT_TYPES.claimCheck);
        const claim = claimCheckSchema.parse(JSON.parse(record.value!.toString('utf8')));
        expect(claim.sha256).toBe(record.headers['jw-sha256']);
        expect(await fileSha256(join(blobDir, claim.key))).toBe(claim.sha256);
        claimChecks++;
      }
    }
    expect(claimChecks).toBeGreaterThan(0);
    // Each raw record came with its progress record (what the status service counts), same key.
    await waitFor('200 progress records', () => suite.ctx.progressFor(connector.id).length >= 200, {
      timeoutMs: 30_000,
    });
    suite.ctx.expectOneProgressPerRaw(connector.id);

    // The ledger has every message, each confirmed deleted.
    const rows = await suite.ctx.ledgerRows(connector.id);
    expect(rows).toHaveLength(200);
    expect(rows.every((r) => r.deleted_at !== null)).toBe(true);

    // maxMessagesPerSession=120: two sessions back to back, then an ok status with the totals.
    const status = await waitFor(
      'an ok status with extractedTotal 200',
      () => suite.ctx.statusFor(connector.id).find((s) => s.state === 'ok' && s.extractedTotal === 200),
      { timeoutMs: 30_000 },
    );
    expect(status.lastError).toBeNull();
    expect(status.lastSuccessfulExtractAt).not.toBeNull();
    expect(status.skipped).toEqual([]);
    const first = suite.ctx.statusFor(connector.id).find((s) => s.state === 'ok' && s.sessionExtracted > 0);
    expect(first?.mailboxQueue).toBe(200);
    expect(first?.sessionExtracted).toBe(120);

    const totalBytes = messages.reduce((sum, m) => sum + m.size, 0);
    const lines = await readLogLines(poller.logFile);
    const ends = lines.filter((l) => l.event === 'session-end' && l.connectorId === connector.id);
    const sessionMs = ends.filter((l) => Number(l.extracted) > 0).reduce((sum, l) => sum + Number(l.ms), 0);
    console.info(
      `drained 200 messages (${(totalBytes / 1048576).toFixed(1)} MiB, ${claimChecks} claim checks) in ${elapsed} ms end to end; ` +
        `${sessionMs} ms in sessions = ${((200 / sessionMs) * 1000).toFixed(0)} msg/s, ${(totalBytes / 1048576 / (sessionMs / 1000)).toFixed(1)} MiB/s`,
    );
  });

  it('streams a 50 MB message through the claim-check store with bounded memory', async () => {
    const { connector, user } = await suite.ctx.connectorWithMailbox();
    const dir = await suite.ctx.scratch('large');
    const blobDir = await suite.ctx.scratch('large-blobs');
    const large = await writeLargeMessage(join(dir, 'large.eml'), 50 * 1024 * 1024);

    // The recommended runtime setting for the poller: a small young generation, so socket buffers
    // are reclaimed promptly instead of piling up between scavenges.
    const poller = await suite.ctx.startPoller({ BLOB_DIR: blobDir, NODE_OPTIONS: '--max-semi-space-size=2' });
    await waitFor(
      'an idle session',
      async () =>
        (await readLogLines(poller.logFile)).some((l) => l.event === 'session-end' && l.connectorId === connector.id),
      { timeoutMs: 30_000 },
    );
    const idle = await peakRss(poller.process.pid!);
    await mailbox.deliver(user, [join(dir, 'large.eml')]);
    const [record] = await waitFor(
      'the large record',
      () => (suite.ctx.rawFor(connector.id).length > 0 ? suite.ctx.rawFor(connector.id) : null),
      { timeoutMs: 120_000 },
    );
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 30_000 });
    const peak = await peakRss(poller.process.pid!);

    expect(record!.headers['content-type']).toBe(RAW_CONTENT_TYPES.claimCheck);
    expect(record!.headers['jw-sha256']).toBe(large.sha256);
    expect(Number(record!.headers['jw-size'])).toBe(large.size);
    const claim = claimCheckSchema.parse(JSON.parse(record!.value!.toString('utf8')));
    expect(claim).toMatchObject({ sha256: large.sha256, size: large.size });
    expect(await fileSha256(join(blobDir, claim.key))).toBe(large.sha256);
    const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
    console.info(
      `50 MiB message: poller VmHWM ${mib(idle)} idle, ${mib(peak)} after the transfer (+${mib(peak - idle)})`,
    );
    expect(peak).toBeLessThan(200 * 1024 * 1024);
    // Holding the message whole even once would take 50 MiB on its own.
    expect(peak - idle).toBeLessThan(40 * 1024 * 1024);
  });
});
