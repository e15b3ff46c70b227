import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateJournalReport,
  Pipeline,
  seededRandom,
  TcpProxy,
  TEST_RUN_ID,
  testEnv,
  type ServiceName,
} from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

const run = promisify(execFile);

/** A small generated mailbox: enough messages that a fault lands mid-drain. */
function mailboxOf(count: number, seed: number, size = 6 * 1024): Buffer[] {
  const random = seededRandom(seed);
  return Array.from(
    { length: count },
    (_, i) => generateJournalReport(seed * 10_000 + i, size, random, TEST_RUN_ID).bytes,
  );
}

describe('faults never lose or double a message', () => {
  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '10' });
  const settings = {
    journalNonInternalAddresses: true,
    journalUnknownInternalAddresses: true,
    maxMessagesPerSession: 40,
  };

  beforeAll(async () => {
    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  async function waitForProgress(id: string, atLeast: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        if ((await pipeline.status(id)).counters.extracted >= atLeast) return;
      } catch {
        // status may be restarting
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`connector ${id} made no progress`);
  }

  async function expectConserved(id: string, mailbox: string, count: number): Promise<void> {
    await pipeline.waitUntilDrained(id, mailbox, count);
    const report = await pipeline.reconcile(id);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.archivedTwice).toEqual([]);
    // Every message extracted once: each sha256 appears among the archives exactly once.
    const { archived } = await pipeline.outcomes(id);
    const archives = archived.filter((r) => r.event === 'archive');
    expect(new Set(archives.map((r) => r.sha256Before)).size).toBe(count);
  }

  for (const [index, name] of (['poller', 'envelope', 'policy', 'status'] as ServiceName[]).entries()) {
    it(`SIGKILL of the ${name} during a drain, then a restart`, async () => {
      const files = mailboxOf(200, index + 1);
      const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
      await waitForProgress(id, 20);
      await pipeline.service(name).kill();
      await new Promise((r) => setTimeout(r, 1000));
      await pipeline.startOne(name);
      await expectConserved(id, mailbox, files.length);
    });
  }

  it('the Kafka broker stopped and restarted mid-drain', async () => {
    const files = mailboxOf(200, 11);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    await waitForProgress(id, 20);
    await run('deploy/local/stack.sh', ['stop', '--keep', 'kafka']);
    try {
      const left = Number((await run('deploy/local/mailbox.sh', ['count', mailbox])).stdout.trim());
      await new Promise((r) => setTimeout(r, 4000));
      // Nothing unacknowledged is deleted while the broker is away.
      expect(Number((await run('deploy/local/mailbox.sh', ['count', mailbox])).stdout.trim())).toBe(left);
    } finally {
      await run('deploy/local/stack.sh', ['start', 'kafka']);
    }
    await expectConserved(id, mailbox, files.length);
  });

  it('the POP3 connection cut mid-RETR', async () => {
    const proxy = new TcpProxy(testEnv.pop3Host, testEnv.pop3sPort);
    const port = await proxy.start();
    try {
      const files = mailboxOf(60, 12, 30 * 1024);
      proxy.cutNextAfter(400 * 1024);
      const { id, mailbox } = await pipeline.connectorWithMailbox(files, { ...settings, host: '127.0.0.1', port });
      await expectConserved(id, mailbox, files.length);
      expect(proxy.cuts).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('Redis restarted empty', async () => {
    const files = mailboxOf(150, 13);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    await waitForProgress(id, 20);
    await run('redis-cli', ['-p', new URL(testEnv.redisUrl).port || '6379', 'SHUTDOWN', 'NOSAVE']).catch(
      () => undefined,
    );
    await run('deploy/local/stack.sh', ['start', 'redis']);
    expect((await run('redis-cli', ['-p', new URL(testEnv.redisUrl).port || '6379', 'DBSIZE'])).stdout.trim()).toMatch(
      /^\d+$/,
    );
    await expectConserved(id, mailbox, files.length);
    const status = await pipeline.status(id);
    expect(status.counters.extracted).toBe(files.length);
  });

  it('a poison message in the mailbox gets an outcome and blocks nothing', async () => {
    const poison = Buffer.concat([
      Buffer.from('\x00\xff\xfe garbage\r\n\r\n--'),
      Buffer.alloc(3000, 0xff),
      Buffer.from('\r\n'),
    ]);
    const files = [...mailboxOf(10, 14).slice(0, 5), poison, ...mailboxOf(10, 15).slice(0, 5)];
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    await pipeline.waitUntilDrained(id, mailbox, files.length);
    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    expect(report.raw).toBe(files.length);
  });

  it('a 50 MB message goes through the claim-check store byte for byte', async () => {
    const random = seededRandom(16);
    const big = generateJournalReport(999_999, 50 * 1024 * 1024, random, TEST_RUN_ID);
    const { id, mailbox } = await pipeline.connectorWithMailbox([big.bytes], settings);
    await pipeline.waitUntilDrained(id, mailbox, 1, 300_000);
    const { archived } = await pipeline.outcomes(id);
    expect(archived).toHaveLength(1);
    const message = archived[0]!.message as { claimCheck: { key: string; sha256: string } };
    expect(message.claimCheck.sha256).toBe(big.sha256);
    const stored = readFileSync(join(pipeline.blobDir, message.claimCheck.key));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(big.sha256);
  });
});
