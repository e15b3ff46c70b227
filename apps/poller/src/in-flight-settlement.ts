import { randomUUID } from 'node:crypto';
import { RAW_HEADERS, TOPICS } from '#contracts';
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
 * Reads the connector's partition of journal.raw.v2 (all its records share one key, so one
 * partition) from the marker's time to the current end, looking for the marker's UIDLs.
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

  private async scan(connectorId: string, marker: InFlightMarker): Promise<LedgerEntry[]> {
    const wanted = new Map(marker.entries.map((e) => [e.uidl, e]));
    const admin = this.kafka.kafka.admin();
    await admin.connect();
    let partition: number;
    let from: bigint;
    let end: bigint;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [TOPICS.raw] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 0)
        throw new JournalwireError('kafka-unavailable', `Topic ${TOPICS.raw} has no partitions`, { retryable: true });
      partition = partitionFor(TOPICS.raw, connectorId, partitions);
      const starts = await admin.fetchTopicOffsetsByTimestamp(TOPICS.raw, marker.at - SCAN_BEFORE_MS);
      const ends = await admin.fetchTopicOffsets(TOPICS.raw);
      const endOffset = ends.find((p) => p.partition === partition);
      const startOffset = starts.find((p) => p.partition === partition);
      end = BigInt(endOffset?.high ?? '0');
      from = startOffset && BigInt(startOffset.offset) >= 0n ? BigInt(startOffset.offset) : end;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (from >= end) return [];

    const found: LedgerEntry[] = [];
    const until = marker.at + SCAN_AFTER_MS;
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
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        // Progress includes batches left empty by filtering (transaction markers, aborted records),
        // which never reach eachBatch; the scan ends at the end offset seen when it started.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          if (payload.partition === partition && BigInt(payload.lastOffset) + 1n >= end) finish();
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (batch.partition !== partition) return;
              for (const message of batch.messages) {
                if (BigInt(message.offset) >= end || Number(message.timestamp) > until) return finish();
                if (headerString(message.headers, RAW_HEADERS.connectorId) !== connectorId) continue;
                const uidl = headerString(message.headers, RAW_HEADERS.uidl);
                const entry = uidl === undefined ? undefined : wanted.get(uidl);
                if (entry && headerString(message.headers, RAW_HEADERS.sha256) === entry.sha256) {
                  found.push(entry);
                  wanted.delete(entry.uidl);
                }
              }
              if (wanted.size === 0) finish();
            },
          })
          .catch(reject);
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
      {
        connectorId,
        partition,
        from: from.toString(),
        end: end.toString(),
        inFlight: marker.entries.length,
        found: found.length,
      },
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
