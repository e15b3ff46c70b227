/**
 * Volume against the real local Dovecot over every transport: a 50 MB message streamed with
 * bounded memory, and 5,000 messages retrieved pipelined, each byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pop3Client, type Pop3Transport } from '#pop3';
import { journalMessage, sha256, writeJournalCorpus, type CorpusFile } from '../../support/pop3-corpus.js';
import { connectOptionsFor, createTestMailbox, type TestMailbox } from '../../support/pop3-mailboxes.js';

const TRANSPORTS: Pop3Transport[] = ['pop3s', 'stls', 'plain'];
const BIG_MESSAGE_BYTES = 50 * 1024 * 1024;
const MANY_MESSAGES = 5_000;

// A forced GC makes "memory held" measurable: without it, already-consumed chunks linger until V8 gets to them.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let workDir: string;
let big: { mailbox: TestMailbox; size: number; sha256: string };
let many: { mailbox: TestMailbox; files: CorpusFile[] };

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'jw-pop3-volume-'));
  const bigData = journalMessage(1, BIG_MESSAGE_BYTES);
  const bigPath = join(workDir, 'big.eml');
  await writeFile(bigPath, bigData);
  const [bigMailbox, manyMailbox, files] = await Promise.all([
    createTestMailbox('jwbig'),
    createTestMailbox('jwmany'),
    writeJournalCorpus(join(workDir, 'many'), MANY_MESSAGES, { minSize: 300, maxSize: 3_000, seed: 5 }),
  ]);
  await Promise.all([bigMailbox.deliver([bigPath]), manyMailbox.deliver(files.map((file) => file.path))]);
  big = { mailbox: bigMailbox, size: bigData.length, sha256: sha256(bigData) };
  many = { mailbox: manyMailbox, files };
});

afterAll(async () => {
  await Promise.all([big?.mailbox.delete(), many?.mailbox.delete()]);
  await rm(workDir, { recursive: true, force: true });
});

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('streams a 50 MB message byte for byte while holding only a few MB', async () => {
    const client = await Pop3Client.connect(connectOptionsFor(big.mailbox, transport));
    try {
      const [{ size: listedSize } = { size: -1 }] = await client.list();
      expect(listedSize).toBe(big.size);
      collectGarbage();
      const baseline = process.memoryUsage().arrayBuffers;
      let peak = 0;
      let maxBuffered = 0;
      const hash = createHash('sha256');
      let length = 0;
      let chunks = 0;
      const stream = await client.retrStream(1);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        length += chunk.length;
        chunks += 1;
        // A consumer slower than the network (about 50 MB/s), so that the socket has to be paused.
        if (chunks % 16 === 0) {
          await delay(20);
          maxBuffered = Math.max(maxBuffered, stream.readableLength);
          collectGarbage();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
        }
      }
      expect(length).toBe(big.size);
      expect(hash.digest('hex')).toBe(big.sha256);
      // The stream's high-water mark (1 MiB) plus about one socket chunk.
      expect(maxBuffered).toBeLessThanOrEqual(1.5 * 1024 * 1024);
      expect(peak).toBeLessThan(16 * 1024 * 1024);
      await client.quit();
    } finally {
      client.destroy();
    }
  });

  it(`retrieves ${MANY_MESSAGES} messages pipelined, each equal to its source file`, async () => {
    const client = await Pop3Client.connect(connectOptionsFor(many.mailbox, transport));
    try {
      expect(client.pipelining).toBe(true);
      const listing = await client.list();
      expect(listing.map((entry) => entry.size)).toEqual(many.files.map((file) => file.size));
      let next = 1;
      const mismatches: number[] = [];
      for await (const { msg, data } of client.retrieveMany(listing.map((entry) => entry.msg))) {
        expect(msg).toBe(next++);
        if (sha256(data) !== many.files[msg - 1]?.sha256) mismatches.push(msg);
      }
      expect(next - 1).toBe(MANY_MESSAGES);
      expect(mismatches).toEqual([]);
      await client.quit();
    } finally {
      client.destroy();
    }
  });
});
