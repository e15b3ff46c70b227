import { hostname } from 'node:os';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  deadLetterRecordSchema,
  decodeMessageRecord,
  encodeProgressRecord,
  encodeRawRecord,
  rawBodyOf,
  RAW_HEADERS,
  rawId,
  rejectedRecordSchema,
  TOPICS,
  type MessageBody,
  type OutcomeReplay,
  type OutcomeView,
  type ReplayView,
} from '#contracts';
import type { BlobStore } from '#blob-store';
import { JournalwireError } from '#errors';
import { headersToStrings, readRecordAt, type KafkaGateway, type OutgoingRecord, type ReliableProducer } from '#kafka';
import type { Logger } from '#logger';
import type { AuditActor } from '#persistence';
import { BLOB_STORE, CONFIG, DATA_SOURCE, KAFKA, LOGGER } from '#platform';
import { AuditService } from '../audit/audit.service.js';
import type { StatusConfig } from '../config.js';
import { ConnectorsService } from '../connectors/connectors.service.js';
import { decodeCursor, pageOf, type CursorKey, type CursorPage } from '../paging/cursor.js';
import { StatusStore } from '../status/status-store.js';
import type { OutcomeRow, OutcomeType, StoredMessage } from './outcome-rows.js';
import type { OutcomesQuery } from './outcomes.schemas.js';

interface OutcomeDbRow {
  id: string;
  connector_id: string;
  type: OutcomeType;
  topic: string;
  partition: number;
  offset: string;
  raw_partition: number | null;
  raw_offset: string | null;
  uidl: string | null;
  sha256: string | null;
  reason: string;
  error: string | null;
  stage: string | null;
  message_id: string | null;
  sender: string | null;
  subject: string | null;
  message: StoredMessage | null;
  at: Date;
  replayed_at: Date | null;
  replayed_by: string | null;
  replay_partition: number | null;
  replay_offset: string | null;
}

/**
 * The transactional id of this process's replay producer: its own, so that no other process (another
 * status replica, a restart) fences it; a transaction it leaves open ends at the broker's timeout.
 */
const REPLAY_TRANSACTIONAL_ID = `journalwire-status-replay-${hostname()}-${process.pid}`;

const COLUMNS = `id, connector_id, type, topic, partition, "offset", raw_partition, raw_offset, uidl, sha256, reason,
  error, stage, message_id, sender, subject, message, at, replayed_at, replayed_by, replay_partition, replay_offset`;

/**
 * Rejected and dead-lettered messages (message_outcomes, filled by the status aggregator as it
 * reads journal.rejected.v2 and journal.dlq.v2), skipped ones (the poller's report), and replays.
 */
@Injectable()
export class OutcomesService implements OnModuleDestroy {
  private producer: Promise<ReliableProducer> | null = null;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly audit: AuditService,
    private readonly connectors: ConnectorsService,
    private readonly store: StatusStore,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(CONFIG) private readonly config: StatusConfig,
  ) {}

  async onModuleDestroy(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  /**
   * Stores the rows of a chunk of outcome records; a record seen before (a rebuild) is ignored.
   * A row stored for another record at the same position is replaced: the topics were recreated
   * (a rebuilt cluster) while the database kept its rows, and the new record must be listed.
   * A row PostgreSQL refuses as data (SQLSTATE classes 22 and 23) would be refused forever: the
   * chunk is then stored row by row and that row left out (logged), so the aggregator never stalls.
   */
  async record(rows: OutcomeRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.insert(rows);
    } catch (error) {
      if (!refusesData(error)) throw error;
      for (const row of rows) {
        await this.insert([row]).catch((rowError: unknown) => {
          if (!refusesData(rowError)) throw rowError;
          this.logger.warn(
            { err: rowError, topic: row.topic, partition: row.partition, offset: row.offset },
            'an outcome record could not be listed: PostgreSQL refused its data',
          );
        });
      }
    }
  }

  private async insert(rows: OutcomeRow[]): Promise<void> {
    const column = <K extends keyof OutcomeRow>(key: K) => rows.map((row) => row[key]);
    await this.dataSource.transaction(async (manager) => {
      const [replaced, count]: [Array<{ id: string }>, number] = await manager.query(
        `DELETE FROM message_outcomes m
          USING unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[])
            AS n(topic, partition, "offset", raw_id, type, at)
          WHERE m.topic = n.topic AND m.partition = n.partition AND m."offset" = n."offset"
            AND (m.raw_id, m.type, m.at) IS DISTINCT FROM (n.raw_id, n.type, n.at)
          RETURNING m.id`,
        [column('topic'), column('partition'), column('offset'), column('rawId'), column('type'), column('at')],
      );
      if (count > 0)
        this.logger.warn(
          {
            count,
            ids: replaced.slice(0, 10).map((row) => row.id),
            topic: rows[0]!.topic,
            partition: rows[0]!.partition,
          },
          `the outcome list held ${count} row(s) for other records at these positions (topics recreated?): replaced`,
        );
      await manager.query(
        `INSERT INTO message_outcomes (connector_id, type, topic, partition, "offset", raw_id, raw_partition, raw_offset,
         uidl, sha256, reason, error, stage, message_id, sender, subject, message, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[], $7::int[],
         $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
         $16::text[], $17::jsonb[], $18::timestamptz[])
       ON CONFLICT (topic, partition, "offset") DO NOTHING`,
        [
          column('connectorId'),
          column('type'),
          column('topic'),
          column('partition'),
          column('offset'),
          column('rawId'),
          rows.map((row) => row.rawRecord?.partition ?? null),
          rows.map((row) => row.rawRecord?.offset ?? null),
          column('uidl'),
          column('sha256'),
          column('reason'),
          column('error'),
          column('stage'),
          column('messageId'),
          column('sender'),
          column('subject'),
          rows.map((row) => (row.message ? JSON.stringify(row.message) : null)),
          column('at'),
        ],
      );
    });
  }

  /** Newest first; keyset paging on (time, id). */
  async list(connectorId: string, query: OutcomesQuery): Promise<CursorPage<OutcomeView>> {
    await this.connectors.entity(connectorId);
    if (query.type === 'skipped') return this.skipped(connectorId, query);
    const list = `outcomes:${query.type}`;
    const after = query.cursor === undefined ? null : positionOf(decodeCursor(list, query.cursor), query.cursor);
    const rows: OutcomeDbRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM message_outcomes
        WHERE connector_id = $1 AND type = $2 ${after ? 'AND (at, id) < ($4::timestamptz, $5::bigint)' : ''}
        ORDER BY at DESC, id DESC LIMIT $3`,
      [connectorId, query.type, query.limit + 1, ...(after ? [after.at, after.id] : [])],
    );
    const page = pageOf(list, rows, query.limit, (row) => [row.at.toISOString(), String(row.id)]);
    return { items: page.items.map(viewOf), nextCursor: page.nextCursor };
  }

  /**
   * Puts a rejected or dead-lettered message back on journal.raw.v2, byte for byte (an inline
   * message's bytes, or the same claim check), as a new raw record whose `jw-replay-of` header
   * names the outcome and its original raw record. Once per outcome: a second replay is a 409.
   */
  async replay(connectorId: string, outcomeId: string, actor: AuditActor): Promise<OutcomeReplay> {
    await this.connectors.entity(connectorId);
    return this.dataSource.transaction(async (manager) => {
      // The row lock makes concurrent replays of one outcome wait for each other: one wins.
      const [row]: OutcomeDbRow[] = await manager.query(
        `SELECT ${COLUMNS} FROM message_outcomes WHERE id = $1 AND connector_id = $2 FOR UPDATE`,
        [outcomeId, connectorId],
      );
      if (!row)
        throw new JournalwireError(
          'not-found',
          `Connector ${connectorId} has no rejected or dead-lettered message ${outcomeId}`,
          {
            details: { connectorId, outcomeId },
          },
        );
      const existing = replayOf(row);
      if (existing)
        throw new JournalwireError(
          'conflict',
          `This message was already replayed at ${existing.at} by ${existing.by} (journal.raw.v2 partition ${existing.rawRecord.partition} offset ${existing.rawRecord.offset}); a message is replayed once`,
          { details: { rule: 'already-replayed', replay: existing } },
        );
      const source = { topic: row.topic, partition: row.partition, offset: String(row.offset) };
      const message = await this.sized(await this.messageOf(row, source));
      const raw = encodeRawRecord({
        connectorId,
        uidl: row.uidl ?? `replay-${row.id}`,
        extractedAt: new Date().toISOString(),
        body: rawBodyOf(message),
        replayOf: { outcome: source, rawRecord: rawRecordOf(row) },
      });
      // With its progress record (what the status counts), in one transaction, as the poller writes.
      const progress = encodeProgressRecord({
        event: 'extracted',
        connectorId,
        rawId: rawId(connectorId, raw.headers[RAW_HEADERS.sha256]!),
      });
      const written = await this.sendReplay(raw, progress);
      const at = new Date();
      await manager.query(
        `UPDATE message_outcomes SET replayed_at = $2, replayed_by = $3, replay_partition = $4, replay_offset = $5 WHERE id = $1`,
        [row.id, at, actor.name, written.partition, written.offset],
      );
      const replay: ReplayView = { at: at.toISOString(), by: actor.name, rawRecord: written };
      await this.audit.record(manager, actor, {
        action: 'outcome.replayed',
        targetType: 'outcome',
        targetId: String(row.id),
        connectorId,
        details: { type: row.type, reason: row.reason, source, original: rawRecordOf(row), replay: written },
      });
      this.logger.info(
        { connectorId, outcomeId: row.id, type: row.type, source, replay: written, actor: actor.name },
        'message replayed onto journal.raw.v2',
      );
      return {
        outcome: viewOf({
          ...row,
          replayed_at: at,
          replayed_by: actor.name,
          replay_partition: written.partition,
          replay_offset: written.offset,
        }),
        replay,
      };
    });
  }

  /**
   * The message as the poller would publish it: inline up to INLINE_LIMIT_BYTES, above that in the
   * claim-check store (an outcome record may carry a larger one inline: its topic allows 2 MiB).
   */
  private async sized(message: MessageBody): Promise<MessageBody> {
    if (!('inline' in message) || message.inline.length <= this.config.INLINE_LIMIT_BYTES) return message;
    return { claimCheck: await this.blobStore.put(message.inline) };
  }

  /** The message reference of the outcome record, read back from its topic. */
  private async messageOf(
    row: OutcomeDbRow,
    source: { topic: string; partition: number; offset: string },
  ): Promise<MessageBody> {
    if (!row.message) throw notReplayable(row, 'its record carries no message');
    const record = await readRecordAt(this.kafka, source);
    if (!record)
      throw notReplayable(
        row,
        `${source.topic} no longer holds partition ${source.partition} offset ${source.offset} (past the topic's retention)`,
      );
    const headers = headersToStrings(record.headers);
    const decoded =
      source.topic === TOPICS.dlq
        ? decodeMessageRecord(deadLetterRecordSchema, record.value, headers)
        : decodeMessageRecord(rejectedRecordSchema, record.value, headers);
    if (decoded.record.connectorId !== row.connector_id || !decoded.message)
      throw notReplayable(row, 'the record at its position is not the one listed');
    return decoded.message;
  }

  /**
   * The replay's raw record and its progress record in one transaction. A producer whose
   * transaction failed is replaced: the next replay starts with a fresh one.
   */
  private async sendReplay(
    raw: OutgoingRecord,
    progress: OutgoingRecord,
  ): Promise<{ partition: number; offset: string }> {
    const pending = (this.producer ??= this.kafka.createProducer({ transactionalId: REPLAY_TRANSACTIONAL_ID }));
    try {
      return await (await pending).sendOneWith(raw, [progress]);
    } catch (error) {
      if (this.producer === pending) {
        this.producer = null;
        void pending.then((p) => p.disconnect()).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Skipped messages as the poller last reported them, with the time of their last failure. */
  private async skipped(connectorId: string, query: OutcomesQuery): Promise<CursorPage<OutcomeView>> {
    const status = (await this.store.read([connectorId])).get(connectorId)?.snapshot ?? null;
    const skipped = status?.skipped ?? [];
    const updated = new Map<string, Date>();
    if (skipped.length > 0) {
      const rows: Array<{ uidl: string; updated_at: Date }> = await this.dataSource.query(
        `SELECT uidl, updated_at FROM retrieval_failures WHERE connector_id = $1 AND uidl = ANY($2::text[])`,
        [connectorId, skipped.map((s) => s.uidl)],
      );
      for (const row of rows) updated.set(row.uidl, row.updated_at);
    }
    const reportedAt = status?.updatedAt ?? new Date(0).toISOString();
    const views = skipped
      .map((s): OutcomeView => ({
        id: `skipped:${s.uidl}`,
        type: 'skipped',
        connectorId,
        at: updated.get(s.uidl)?.toISOString() ?? reportedAt,
        reason: 'retrieval-failed',
        error: s.error,
        stage: 'poller',
        messageId: null,
        sender: null,
        subject: null,
        uidl: s.uidl,
        sha256: null,
        attempts: s.attempts,
        rawRecord: null,
        source: null,
        message: null,
        replayable: false,
        replay: null,
      }))
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
    const list = 'outcomes:skipped';
    const after = query.cursor === undefined ? null : decodeCursor(list, query.cursor);
    const rest = after
      ? views.filter((v) => v.at < String(after[0]) || (v.at === String(after[0]) && v.id < String(after[1])))
      : views;
    return pageOf(list, rest.slice(0, query.limit + 1), query.limit, (v) => [v.at, v.id]);
  }
}

function positionOf(key: CursorKey, cursor: string): { at: string; id: string } {
  const [at, id] = key;
  if (
    key.length !== 2 ||
    typeof at !== 'string' ||
    typeof id !== 'string' ||
    !/^\d{1,19}$/.test(id) ||
    Number.isNaN(Date.parse(at))
  )
    throw new JournalwireError(
      'validation',
      'Invalid query: cursor: expected a cursor returned as nextCursor by this list',
      {
        details: {
          fields: [{ field: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }],
          cursor,
        },
      },
    );
  return { at, id };
}

function rawRecordOf(row: OutcomeDbRow): ReplayView['rawRecord'] | null {
  return row.raw_partition === null || row.raw_offset === null
    ? null
    : { partition: row.raw_partition, offset: String(row.raw_offset) };
}

function replayOf(row: OutcomeDbRow): ReplayView | null {
  if (!row.replayed_at || row.replay_partition === null || row.replay_offset === null) return null;
  return {
    at: row.replayed_at.toISOString(),
    by: row.replayed_by ?? 'unknown',
    rawRecord: { partition: row.replay_partition, offset: String(row.replay_offset) },
  };
}

function viewOf(row: OutcomeDbRow): OutcomeView {
  const replay = replayOf(row);
  return {
    id: String(row.id),
    type: row.type,
    connectorId: row.connector_id,
    at: row.at.toISOString(),
    reason: row.reason,
    error: row.error,
    stage: row.stage,
    messageId: row.message_id,
    sender: row.sender,
    subject: row.subject,
    uidl: row.uidl,
    sha256: row.sha256,
    attempts: null,
    rawRecord: rawRecordOf(row),
    source: { topic: row.topic, partition: row.partition, offset: String(row.offset) },
    message: row.message,
    replayable: row.message !== null && replay === null,
    replay,
  };
}

function refusesData(error: unknown): boolean {
  const sqlState = (error as { code?: unknown } | null)?.code;
  return typeof sqlState === 'string' && /^2[23]/.test(sqlState);
}

function notReplayable(row: OutcomeDbRow, why: string): JournalwireError {
  return new JournalwireError('conflict', `Message ${row.id} cannot be replayed: ${why}`, {
    details: { rule: 'not-replayable', outcomeId: String(row.id) },
  });
}
