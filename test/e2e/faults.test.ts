import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_GROUPS, pollerInFlightKey, TOPICS } from '#contracts';
import { consumerLag } from '#kafka';
import {
  exactlyOnce,
  filesChangedSince,
  generateJournalReport,
  mailboxCount,
  Pipeline,
  readLogLines,
  seededRandom,
  sha256Of,
  TcpProxy,
  TEST_RUN_ID,
  testEnv,
  type ServiceName,
  waitFor,
} from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

// Every fault is positioned by observing state (a consumer group's lag, the poller's in-flight
// marker in Redis, the bytes of a RETR response), never by sleeping, and every test checks
// exactly-once against the delivered set. No test asserts a duration.

const run = promisify(execFile);
const redisPort = new URL(testEnv.redisUrl).port || '6379';

/** A small generated mailbox: enough messages that a fault lands mid-drain. */
function mailboxOf(count: number, seed: number, size = 6 * 1024): Buffer[] {
  const random = seededRandom(seed);
  return Array.from(
    { length: count },
    (_, i) => generateJournalReport(seed * 10_000 + i, size, random, TEST_RUN_ID).bytes,
  );
}

/** The faults' waits: long (a restart takes a while) and fine-grained (some windows last milliseconds). */
const until = <T>(what: string, probe: () => Promise<T>, timeoutMs = 120_000) =>
  waitFor(what, probe, { timeoutMs, everyMs: 20 });

describe('faults never lose or double a message', () => {
  // Short Kafka deadlines so that the broker test sees sessions fail on the outage within seconds.
  const pipeline = new Pipeline({
    BATCH_MAX_MESSAGES: '10',
    PUBLISH_TIMEOUT_MS: '10000',
    KAFKA_BACKOFF_MAX_MS: '5000',
  });
  const redis = new Redis(testEnv.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // the Redis test restarts the server under this client
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
    redis.disconnect();
  });

  /**
   * Drained, judged by the topics themselves (status counters live in Redis, which one test
   * wipes): the mailbox is empty and every raw record has an outcome.
   */
  async function waitForOutcomes(id: string, mailbox: string, count: number, timeoutMs = 240_000) {
    return until(
      `every message of ${id} to reach an outcome`,
      async () => {
        if ((await mailboxCount(mailbox)) !== 0) return undefined;
        const records = await pipeline.outcomes(id, { raw: true });
        const outcomes = records.archived.length + records.rejected.length + records.dead.length;
        return records.raws.length >= count && outcomes >= records.raws.length ? records : undefined;
      },
      timeoutMs,
    );
  }

  /** Drained, then: each delivered message published once, archived once, nothing merged or lost. */
  async function expectExactlyOnce(id: string, mailbox: string, files: Buffer[], timeoutMs?: number): Promise<void> {
    const records = await waitForOutcomes(id, mailbox, files.length, timeoutMs);
    expect(exactlyOnce(files, records)).toEqual({
      raw: files.length,
      delivered: files.length,
      notArchived: [],
      notDelivered: [],
      rawTwice: [],
      archivedTwice: [],
      merges: 0,
      rejected: 0,
      deadLettered: 0,
    });
    const report = await pipeline.reconcile(id);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.ok).toBe(true);
  }

  async function archivedCount(id: string): Promise<number> {
    return (await pipeline.status(id)).counters.archived;
  }

  /** A test that failed after its kill must not leave the next one without the service. */
  async function ensureRunning(name: ServiceName): Promise<void> {
    const service = pipeline.services.get(name);
    if (service === undefined || service.process.exitCode !== null || service.process.signalCode !== null)
      await pipeline.startOne(name);
  }

  /**
   * Records not yet consumed by a group. Each committed transaction leaves a control record, so
   * an idle group still shows up to one per partition: MID_WORK_LAG is above that.
   */
  async function lagOf(group: string, topics: string[]): Promise<number> {
    const lags = await consumerLag(pipeline.kafka, group, topics);
    return lags.reduce((sum, entry) => sum + entry.lag, 0);
  }

  const MID_WORK_LAG = 10;

  /** The consumer group and input topics of each Kafka-fed service. */
  const INPUTS: Record<Exclude<ServiceName, 'poller'>, { group: string; topics: string[] }> = {
    envelope: { group: CONSUMER_GROUPS.envelope, topics: [TOPICS.raw] },
    policy: { group: CONSUMER_GROUPS.policy, topics: [TOPICS.classified] },
    status: { group: CONSUMER_GROUPS.status, topics: [TOPICS.progress] },
  };

  it('SIGKILL of the poller inside its in-flight window, then a restart', async () => {
    const files = mailboxOf(150, 1);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    const marker = pollerInFlightKey(id);
    if (redis.status !== 'ready') await redis.connect();
    try {
      // past its first batch, and a batch being published but not yet in the ledger (the marker names it)
      let extracted = 0;
      const inFlight = await until('the poller in its in-flight window', async () => {
        if (extracted < 10) {
          extracted = (await pipeline.status(id)).counters.extracted;
          return undefined;
        }
        return (await redis.get(marker)) ?? undefined;
      });
      await pipeline.service('poller').kill();
      expect((JSON.parse(inFlight) as { entries: unknown[] }).entries.length).toBeGreaterThan(0);
      expect(await mailboxCount(mailbox)).toBeGreaterThan(0); // it had more to extract
      expect((await pipeline.outcomes(id, { raw: true })).raws.length).toBeGreaterThan(0); // and had published some
    } finally {
      await ensureRunning('poller');
    }
    await expectExactlyOnce(id, mailbox, files);
    expect(await redis.exists(marker)).toBe(0);
  });

  for (const name of ['envelope', 'policy', 'status'] as const) {
    it(`SIGKILL of the ${name} while it has consumed but not finished, then a restart`, async () => {
      const files = mailboxOf(150, 2 + ['envelope', 'policy', 'status'].indexOf(name));
      const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
      const { group, topics } = INPUTS[name];
      try {
        await until(`the ${name} service mid-work`, async () => {
          const archived = await archivedCount(id);
          if (archived === 0 || archived > files.length - 20) return undefined;
          return (await lagOf(group, topics)) >= MID_WORK_LAG ? true : undefined;
        });
        await pipeline.service(name).kill();
        // Nothing consumes the group now: its lag can only grow. The status service consumes fast
        // and may commit once more as it dies, so its lag is judged as the upstream keeps producing.
        await until(
          `the ${name} group's lag while it is down`,
          async () => ((await lagOf(group, topics)) >= MID_WORK_LAG ? true : undefined),
          60_000,
        );
      } finally {
        await ensureRunning(name);
      }
      await expectExactlyOnce(id, mailbox, files);
    });
  }

  it('the Kafka broker stopped and restarted mid-drain', async () => {
    const files = mailboxOf(150, 11);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    await until('extraction under way', async () => {
      const status = await pipeline.status(id);
      return status.counters.extracted >= 20 && status.counters.extracted < files.length - 20 ? true : undefined;
    });
    await run('deploy/local/stack.sh', ['stop', '--keep', 'kafka']);
    try {
      // The poller notices the outage: this connector's session ends with kafka-unavailable (other
      // connectors' sessions fail too, while this one may still hold DELEs its QUIT has yet to
      // commit). A session that had published before the stop deletes what Kafka acknowledged;
      // after its end, a later session against the broker that is still away deletes nothing.
      const pollerLog = pipeline.service('poller').logFile;
      const outageEnds = async () =>
        (await readLogLines(pollerLog)).filter(
          (line) => line.event === 'session-end' && line.connectorId === id && line.code === 'kafka-unavailable',
        ).length;
      await until("the connector's session to end on the outage", async () =>
        (await outageEnds()) > 0 ? true : undefined,
      );
      const left = await mailboxCount(mailbox);
      expect(left).toBeGreaterThan(0);
      const reported = await outageEnds();
      await until('a later session to fail on the outage too', async () =>
        (await outageEnds()) > reported ? true : undefined,
      );
      expect(await mailboxCount(mailbox)).toBe(left);
    } finally {
      await run('deploy/local/stack.sh', ['start', 'kafka']);
    }
    await expectExactlyOnce(id, mailbox, files);
  });

  it.each([
    { kind: 'inline', size: 200 * 1024 },
    { kind: 'claim-checked', size: 3 * 1024 * 1024 },
  ])('the POP3 connection cut mid-RETR of an $kind message', async ({ size }) => {
    const proxy = new TcpProxy(testEnv.pop3Host, testEnv.pop3Port);
    const port = await proxy.start();
    const before = Date.now();
    try {
      const random = seededRandom(size);
      const target = generateJournalReport(size, size, random, TEST_RUN_ID).bytes;
      const files = [target, ...mailboxOf(5, 12 + size)];
      // half of the first message's response: the cut lands inside RETR 1, whatever was sent before
      proxy.cutDuringRetr(Math.floor(size / 2), /^RETR 1\r?$/m);
      const { id, mailbox } = await pipeline.connectorWithMailbox(files, {
        ...settings,
        host: '127.0.0.1',
        port,
        encrypted: false,
      });
      await expectExactlyOnce(id, mailbox, files);
      expect(proxy.cuts).toBe(1);
      expect(proxy.retrCut).toEqual({ command: 'RETR 1', bytesPassed: Math.floor(size / 2) });
      // No partial blob: a blob written since the test began is one a record refers to.
      const { raws, archived } = await pipeline.outcomes(id, { raw: true });
      expect(raws).toHaveLength(files.length);
      const referenced = new Set(
        archived.flatMap((record) =>
          record.message && 'claimCheck' in record.message
            ? [join(pipeline.blobDir, record.message.claimCheck.key)]
            : [],
        ),
      );
      const written = filesChangedSince(pipeline.blobDir, before);
      expect(written.filter((file) => !referenced.has(file))).toEqual([]);
      expect(referenced.size).toBe(size > 512 * 1024 ? 1 : 0);
    } finally {
      await proxy.stop();
    }
  });

  it('a poison message in the mailbox gets an outcome and blocks nothing', async () => {
    const poison = Buffer.concat([
      Buffer.from('\x00\xff\xfe garbage\r\n\r\n--'),
      Buffer.alloc(3000, 0xff),
      Buffer.from('\r\n'),
    ]);
    const good = [...mailboxOf(10, 14).slice(0, 5), ...mailboxOf(10, 15).slice(0, 5)];
    const files = [...good.slice(0, 5), poison, ...good.slice(5)];
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    const records = await waitForOutcomes(id, mailbox, files.length);
    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    expect(report.raw).toBe(files.length);
    // The good ones are archived once each. The poison has exactly one outcome (reconcile above):
    // unparseable, it is a plain message with no participants, so with these filters it may be
    // archived as it came, at most once.
    const archivedHashes = records.archived.filter((r) => r.event === 'archive').map((r) => r.sha256Before);
    const poisonHash = sha256Of(poison);
    expect(archivedHashes.filter((hash) => hash !== poisonHash).sort()).toEqual(good.map(sha256Of).sort());
    expect(archivedHashes.filter((hash) => hash === poisonHash).length).toBeLessThanOrEqual(1);
    expect(records.raws.map((raw) => raw.sha256).sort()).toEqual(files.map(sha256Of).sort());
  });

  it.each([
    { kind: 'inline', size: 64 * 1024 },
    { kind: 'claim-checked', size: 20 * 1024 * 1024 },
  ])('archives an $kind message byte for byte when no header is removed', async ({ size }) => {
    const random = seededRandom(size + 16);
    const message = generateJournalReport(999_000 + size, size, random, TEST_RUN_ID);
    const { id, mailbox } = await pipeline.connectorWithMailbox([message.bytes], {
      ...settings,
      removeJournalHeaders: false,
    });
    const { archived } = await waitForOutcomes(id, mailbox, 1, 300_000);
    expect(archived).toHaveLength(1);
    const record = archived[0]!;
    expect(record).toMatchObject({ event: 'archive', sha256Before: message.sha256, sha256After: message.sha256 });
    expect(record.removedHeaders).toEqual([]);
    const ref = record.message;
    const stored =
      ref && 'claimCheck' in ref
        ? readFileSync(join(pipeline.blobDir, ref.claimCheck.key))
        : (ref as { inline: Buffer }).inline;
    expect(!!ref && 'claimCheck' in ref).toBe(size > 512 * 1024);
    expect(stored.equals(message.bytes)).toBe(true);
  });

  it('Redis wiped inside the poller in-flight window, then restarted empty', async () => {
    const files = mailboxOf(150, 13);
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, settings);
    const marker = pollerInFlightKey(id);
    const sentinel = `jw:test:sentinel:${id}`;
    if (redis.status !== 'ready') await redis.connect();
    await redis.set(sentinel, '1');
    // WATCH makes the wipe conditional on the marker being unchanged since it was seen, so the
    // FLUSHALL runs while the poller has a batch in flight and before it clears the marker.
    await until('a wipe inside the in-flight window', async () => {
      await redis.watch(marker);
      if ((await redis.exists(marker)) !== 1) {
        await redis.unwatch();
        return undefined;
      }
      const result = await redis.multi().flushall().exec();
      return result === null ? undefined : true;
    });
    expect(await redis.exists(sentinel, marker)).toBe(0);
    // and the server restarted without its data, dropping every client's connection
    await run('redis-cli', ['-p', redisPort, 'SHUTDOWN', 'NOSAVE']).catch(() => undefined);
    await run('deploy/local/stack.sh', ['start', 'redis']);
    await until('Redis back', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
    expect(await redis.exists(sentinel)).toBe(0);
    await expectExactlyOnce(id, mailbox, files);
    // The status counters, lost with Redis, are rebuilt from the topics by the running service.
    const rebuilt = await until('the status counters rebuilt from the topics', async () => {
      const status = await pipeline.status(id).catch(() => undefined);
      return status && status.counters.extracted >= files.length && status.counters.archived >= files.length
        ? status
        : undefined;
    });
    expect(rebuilt.counters).toMatchObject({ extracted: files.length, archived: files.length, merged: 0 });
    expect(rebuilt.processingQueue).toBe(0);
  });
});
