import { randomUUID } from 'node:crypto';
import { RAW_HEADERS, TOPICS } from '#contracts';
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
    const partition = await this.kafka.partitionForKey(TOPICS.raw, connectorId);
    const starts = await this.kafka.topicOffsetsAt(TOPICS.raw, marker.at - SCAN_BEFORE_MS);
    const ends = await this.kafka.topicOffsets(TOPICS.raw);
    const endOffset = ends.find((p) => p.partition === partition);
    const startOffset = starts.find((p) => p.partition === partition);
    const end = BigInt(endOffset?.high ?? '0');
    const from = startOffset && BigInt(startOffset.offset) >= 0n ? BigInt(startOffset.offset) : end;
    if (from >= end) return [];

    const found: LedgerEntry[] = [];
    const until = marker.at + SCAN_AFTER_MS;
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
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        // Read committed: records of aborted or fenced transactions were never published.
        consumer = this.kafka.createGroupConsumer({
          groupId,
          topics: [TOPICS.raw],
          readCommitted: true,
          fromBeginning: false,
          onAssigned: (_assignment, seek) => seek({ topic: TOPICS.raw, partition, offset: from.toString() }),
          // Progress includes batches left empty by filtering (transaction markers, aborted records),
          // which never reach eachBatch; the scan ends at the end offset seen when it started.
          onBatchEnd: (position) => {
            if (position.partition === partition && BigInt(position.offset) >= end) finish();
          },
          eachBatch: async (batch) => {
            if (batch.partition !== partition) return;
            for (const record of batch.records) {
              if (BigInt(record.offset) >= end || Number(record.timestamp) > until) return finish();
              if (headerString(record.headers, RAW_HEADERS.connectorId) !== connectorId) continue;
              const uidl = headerString(record.headers, RAW_HEADERS.uidl);
              const entry = uidl === undefined ? undefined : wanted.get(uidl);
              if (entry && headerString(record.headers, RAW_HEADERS.sha256) === entry.sha256) {
                found.push(entry);
                wanted.delete(entry.uidl);
              }
            }
            if (wanted.size === 0) finish();
          },
        });
        consumer.start().catch(reject);
      });
    } finally {
      await consumer?.stop().catch(() => undefined);
      await this.kafka.deleteGroups([groupId]).catch(() => undefined);
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
