import { randomUUID } from 'node:crypto';
import { RAW_HEADERS, rawRecordKey, TOPICS } from '#contracts';
import { JournalwireError } from '#errors';
import { headerString, type GroupConsumer, type KafkaGateway } from '#kafka';
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

/** A batch's records carry CreateTimes from `at` to the end of the client's retries (minutes at most). */
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
    const keys = marker.entries.map((entry) => rawRecordKey(connectorId, entry.sha256));
    // A marker written before raw records were keyed by raw id: they all went under the connector id.
    if (marker.keys !== 'raw-id') keys.push(connectorId);
    const targets = new Set(await this.kafka.partitionsForKeys(TOPICS.raw, keys));
    const starts = await this.kafka.topicOffsetsAt(TOPICS.raw, marker.at - SCAN_BEFORE_MS);
    const ends = await this.kafka.topicOffsets(TOPICS.raw);
    const ranges = new Map<number, { from: bigint; end: bigint }>();
    for (const partition of targets) {
      const end = BigInt(ends.find((p) => p.partition === partition)?.high ?? '0');
      const start = starts.find((p) => p.partition === partition);
      const from = start && BigInt(start.offset) >= 0n ? BigInt(start.offset) : end;
      if (from < end) ranges.set(partition, { from, end });
    }
    return ranges;
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
    let consumer: GroupConsumer | undefined;
    try {
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
        // Read committed: records of aborted or fenced transactions were never published.
        consumer = this.kafka.createGroupConsumer({
          groupId,
          topics: [TOPICS.raw],
          readCommitted: true,
          fromBeginning: false,
          onAssigned: (_assignment, seek) => {
            for (const [partition, { from }] of ranges) seek({ topic: TOPICS.raw, partition, offset: from.toString() });
          },
          // Progress includes batches left empty by filtering (transaction markers, aborted records),
          // which never reach eachBatch; each partition's scan ends at the end offset seen when it started.
          onBatchEnd: (position) => {
            const range = ranges.get(position.partition);
            if (range && BigInt(position.offset) >= range.end) done(position.partition);
          },
          eachBatch: async (batch) => {
            const range = ranges.get(batch.partition);
            if (!range || !pending.has(batch.partition)) return;
            for (const record of batch.records) {
              if (BigInt(record.offset) >= range.end || Number(record.timestamp) > until) return done(batch.partition);
              if (headerString(record.headers, RAW_HEADERS.connectorId) !== connectorId) continue;
              const uidl = headerString(record.headers, RAW_HEADERS.uidl);
              const entry = uidl === undefined ? undefined : wanted.get(uidl);
              if (entry && headerString(record.headers, RAW_HEADERS.sha256) === entry.sha256) {
                found.push(entry);
                wanted.delete(entry.uidl);
              }
            }
            if (wanted.size === 0) done(batch.partition);
          },
        });
        consumer.start().catch(reject);
      });
    } finally {
      await consumer?.stop().catch(() => undefined);
      await this.kafka.deleteGroups([groupId]).catch(() => undefined);
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
