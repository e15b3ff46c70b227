import { randomUUID } from 'node:crypto';
import { RAW_HEADERS, rawRecordKey, TOPICS } from '#contracts';
import { JournalwireError } from '#errors';
import { headerString, partitionFor, type KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { withDeadline } from './deadline.js';
import type { InFlightMarker, InFlightPort } from './in-flight.js';
import type { LedgerEntry, LedgerPort } from './ledger.js';

// Settling an in-flight marker (in-flight.ts) that an interrupted publish left: which of its
// records Kafka committed, read back from journal.raw.v2 once the old producer is fenced.

/** Finds which of a marker's records reached journal.raw.v2. */
export interface InFlightScanner {
  findPublished(connectorId: string, marker: InFlightMarker): Promise<LedgerEntry[]>;
}

/** A batch's records carry CreateTimes from `at` to the end of kafkajs's retries (minutes at most). */
const SCAN_BEFORE_MS = 5_000;
const SCAN_AFTER_MS = 10 * 60_000;
const SCAN_TIMEOUT_MS = 60_000;

/**
 * Reads the partitions of journal.raw.v2 the marker's records were written to (each record is
 * keyed by its raw id, so a batch spreads over several) from the marker's time to their current
 * end, looking for the marker's UIDLs.
 */
export class KafkaInFlightScanner implements InFlightScanner {
  constructor(
    private readonly kafka: KafkaGateway,
    private readonly logger: Logger,
  ) {}

  async findPublished(connectorId: string, marker: InFlightMarker): Promise<LedgerEntry[]> {
    try {
      return await this.scan(connectorId, marker);
    } catch (error) {
      if (error instanceof JournalwireError) throw error;
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka could not be read to settle ${marker.entries.length} in-flight record(s): ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }

  /** Per partition to read: the first offset at the marker's time and the end when the scan began. */
  private async ranges(
    connectorId: string,
    marker: InFlightMarker,
  ): Promise<Map<number, { from: bigint; end: bigint }>> {
    const admin = this.kafka.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [TOPICS.raw] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 0)
        throw new JournalwireError('kafka-unavailable', `Topic ${TOPICS.raw} has no partitions`, { retryable: true });
      const keys = marker.entries.map((entry) => rawRecordKey(connectorId, entry.sha256));
      // A marker written before raw records were keyed by raw id: they all went under the connector id.
      if (marker.keys !== 'raw-id') keys.push(connectorId);
      const targets = new Set(keys.map((key) => partitionFor(TOPICS.raw, key, partitions)));
      const starts = await admin.fetchTopicOffsetsByTimestamp(TOPICS.raw, marker.at - SCAN_BEFORE_MS);
      const ends = await admin.fetchTopicOffsets(TOPICS.raw);
      const ranges = new Map<number, { from: bigint; end: bigint }>();
      for (const partition of targets) {
        const end = BigInt(ends.find((p) => p.partition === partition)?.high ?? '0');
        const start = starts.find((p) => p.partition === partition);
        const from = start && BigInt(start.offset) >= 0n ? BigInt(start.offset) : end;
        if (from < end) ranges.set(partition, { from, end });
      }
      return ranges;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async scan(connectorId: string, marker: InFlightMarker): Promise<LedgerEntry[]> {
    const wanted = new Map(marker.entries.map((e) => [e.uidl, e]));
    const ranges = await this.ranges(connectorId, marker);
    const scanned = [...ranges].map(([partition, { from, end }]) => ({
      partition,
      from: from.toString(),
      end: end.toString(),
    }));
    if (ranges.size === 0) return [];

    const found: LedgerEntry[] = [];
    const until = marker.at + SCAN_AFTER_MS;
    const pending = new Set(ranges.keys());
    const groupId = `journalwire-poller-settle-${randomUUID()}`;
    // Read committed: records of aborted or fenced transactions were never published.
    const consumer = this.kafka.createConsumer(groupId, { readCommitted: true });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPICS.raw, fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new JournalwireError(
                'kafka-unavailable',
                `Reading ${TOPICS.raw} to settle in-flight records took longer than ${SCAN_TIMEOUT_MS} ms`,
                { retryable: true },
              ),
            ),
          SCAN_TIMEOUT_MS,
        );
        const done = (partition: number) => {
          pending.delete(partition);
          if (pending.size === 0 || wanted.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
        // Progress includes batches left empty by filtering (transaction markers, aborted records),
        // which never reach eachBatch; each partition's scan ends at the end offset seen when it started.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const range = ranges.get(payload.partition);
          if (range && BigInt(payload.lastOffset) + 1n >= range.end) done(payload.partition);
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const range = ranges.get(batch.partition);
              if (!range || !pending.has(batch.partition)) return;
              for (const message of batch.messages) {
                if (BigInt(message.offset) >= range.end || Number(message.timestamp) > until)
                  return done(batch.partition);
                if (headerString(message.headers, RAW_HEADERS.connectorId) !== connectorId) continue;
                const uidl = headerString(message.headers, RAW_HEADERS.uidl);
                const entry = uidl === undefined ? undefined : wanted.get(uidl);
                if (entry && headerString(message.headers, RAW_HEADERS.sha256) === entry.sha256) {
                  found.push(entry);
                  wanted.delete(entry.uidl);
                }
              }
              if (wanted.size === 0) done(batch.partition);
            },
          })
          .catch(reject);
        for (const [partition, { from }] of ranges)
          consumer.seek({ topic: TOPICS.raw, partition, offset: from.toString() });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      const admin2 = this.kafka.kafka.admin();
      await admin2
        .connect()
        .then(() => admin2.deleteGroups([groupId]))
        .catch(() => undefined)
        .finally(() => admin2.disconnect().catch(() => undefined));
    }
    this.logger.info(
      { connectorId, partitions: scanned, inFlight: marker.entries.length, found: found.length },
      'settled in-flight records against Kafka',
    );
    return found;
  }
}

/**
 * Settles a marker left by an interrupted publish: the records Kafka has committed go to the
 * ledger (so they are only DELEted, never published again); the rest will be extracted again.
 * Call it only after fencing the connector's transactional producer: then no earlier attempt can
 * still commit, and what the scan sees is final.
 */
export async function settleInFlight(
  connectorId: string,
  scope: string,
  store: InFlightPort,
  scanner: InFlightScanner,
  ledger: LedgerPort,
  logger: Logger,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const marker = await store.get(connectorId);
  if (!marker) return;
  const found = await withDeadline(
    scanner.findPublished(connectorId, marker),
    timeoutMs,
    () =>
      new JournalwireError(
        'kafka-unavailable',
        `Kafka could not be read within ${timeoutMs} ms to settle ${marker.entries.length} in-flight record(s)`,
        { retryable: true },
      ),
    signal,
  );
  // Under the scope it was published in: a connector pointed elsewhere since must not inherit it.
  await ledger.recordPublished(connectorId, marker.scope ?? scope, found);
  await store.clear(connectorId, marker);
  logger.warn(
    { connectorId, inFlight: marker.entries.length, published: found.length, markerFrom: marker.instanceId },
    'an interrupted publish was settled: records Kafka committed are in the ledger, the rest will be extracted again',
  );
}
