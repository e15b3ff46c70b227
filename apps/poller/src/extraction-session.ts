import type { Readable } from 'node:stream';
import type { BlobStore } from '#blob-store';
import { claimCheckRawBody, inlineRawBody, type ClaimCheck } from '#contracts';
import { isJournalwireError, JournalwireError, toJournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ledgerScopeOf, type ConnectorEntity } from '#persistence';
import type { ListEntry, MailboxStat, RetrieveManyOptions, RetrievedMessage, UidlEntry } from '#pop3';
import type { LeaseHandle } from './lease.js';
import { sameMessage, type LedgerPort, type LedgerState, type RetrievalFailuresPort } from './ledger.js';
import type { BatchPublisher, ExtractedMessage, RawPublisherPort } from './raw-publisher.js';

/** The part of Pop3Client a session uses. */
export interface MailboxConnection {
  readonly pipelining: boolean;
  stat(): Promise<MailboxStat>;
  uidl(): Promise<UidlEntry[]>;
  list(): Promise<ListEntry[]>;
  retrStream(msg: number): Promise<Readable>;
  retrieveMany(msgs: readonly number[], options?: RetrieveManyOptions): AsyncIterable<RetrievedMessage>;
  deleMany(msgs: readonly number[]): Promise<void>;
  quit(): Promise<void>;
  destroy(): void;
}

export interface SessionSettings {
  maxRetrievalAttempts: number;
  batchMaxMessages: number;
  batchMaxBytes: number;
  inlineLimitBytes: number;
  retrieveWindow: number;
  /**
   * After this long no new batch is started and the session ends with QUIT (the rest waits for
   * the next session), so that the POP3 session deadline rarely cuts a session short.
   */
  wrapUpAfterMs?: number;
}

export interface SessionDeps {
  connect(connector: ConnectorEntity): Promise<MailboxConnection>;
  /** The connector row as it is now (null when deleted). */
  reloadConnector(connectorId: string): Promise<ConnectorEntity | null>;
  ledger: LedgerPort;
  failures: RetrievalFailuresPort;
  publisher: RawPublisherPort;
  blobStore: BlobStore;
  settings: SessionSettings;
  logger: Logger;
  /** Told of every batch once it is committed and in the ledger (metrics). */
  onPublished?: (connectorId: string, messages: ExtractedMessage[]) => void;
}

export interface SessionControl {
  /** True once the poller is shutting down: stop at the next safe point. */
  stopRequested(): boolean;
  /** Fires when an in-flight RETR or publish must be abandoned (shutdown grace over). */
  signal: AbortSignal;
}

/** `removed`: the connector row was deleted while the session ran. */
export type SessionOutcome = 'completed' | 'suspended' | 'stopped' | 'lease-lost' | 'removed' | 'failed';

export interface SkippedMessage {
  uidl: string;
  attempts: number;
  error: string;
}

export interface SessionResult {
  connectorId: string;
  outcome: SessionOutcome;
  error: JournalwireError | null;
  startedAt: Date;
  endedAt: Date;
  /** STAT count when the session connected; null when it never got that far. */
  mailboxQueue: number | null;
  /** Messages published (acknowledged) in this session. */
  extracted: number;
  /** Messages whose deletion this session's QUIT committed. */
  deleted: number;
  /** Messages given up on that are still in the mailbox; null when the session never listed it. */
  skipped: SkippedMessage[] | null;
  /** Messages were left for another session (maxMessagesPerSession, or an early stop). */
  moreRemaining: boolean;
}

interface WorkItem {
  msg: number;
  uidl: string;
  size: number;
  ledger: LedgerState | undefined;
}

/** Connection-level failures: the session is unusable, so no QUIT is attempted. */
const CONNECTION_LOST = new Set([
  'connection-closed',
  'timeout',
  'protocol',
  'response-too-large',
  'deadline-exceeded',
  'blob-store',
  'name-resolution',
  'connection-refused',
  'tls-untrusted',
  'tls-hostname',
  'tls-failed',
  'tls-required',
  'conflict',
]);

class StopSession extends Error {
  constructor(readonly outcome: SessionOutcome) {
    super(outcome);
  }
}

/**
 * One extraction session against one mailbox, under its lease:
 * open the publisher (fence, settle in-flight records) → connect → STAT → UIDL/LIST → DELE what
 * the ledger already has → batches of (pipelined RETR → one Kafka transaction, acks=all →
 * ledger → DELE) → QUIT → ledger deleted_at.
 * Nothing is DELEted before Kafka acknowledged it and the ledger recorded it.
 */
export class ExtractionSession {
  private client: MailboxConnection | null = null;
  private publisher: BatchPublisher | null = null;
  private retrieving = false;
  /** UIDLs DELEted in this session (not the messages: a long session must not keep their bytes). */
  private readonly deleted: string[] = [];
  private readonly skipped = new Map<string, SkippedMessage>();
  private readonly hadFailures = new Set<string>();
  private extracted = 0;
  private committedDeletes = 0;
  private mailboxQueue: number | null = null;
  private moreRemaining = false;
  private listed = false;
  private startedAt = 0;
  private readonly logger: Logger;
  /** The mailbox this session's ledger rows speak about (host and login). */
  private readonly scope: string;

  constructor(
    private readonly deps: SessionDeps,
    private readonly connector: ConnectorEntity,
    private readonly lease: LeaseHandle,
    private readonly control: SessionControl,
  ) {
    this.logger = deps.logger.child({ connectorId: connector.id });
    this.scope = ledgerScopeOf(connector);
  }

  async run(): Promise<SessionResult> {
    const startedAt = new Date();
    this.startedAt = startedAt.getTime();
    const onAbort = () => {
      // A RETR in progress cannot be abandoned cleanly: drop the connection (nothing is committed).
      if (this.retrieving) this.client?.destroy();
    };
    this.control.signal.addEventListener('abort', onAbort, { once: true });
    let outcome: SessionOutcome;
    let error: JournalwireError | null = null;
    try {
      outcome = await this.extract();
    } catch (caught) {
      if (caught instanceof StopSession) outcome = caught.outcome;
      else if (this.control.signal.aborted) outcome = 'stopped';
      else {
        outcome = 'failed';
        error = toJournalwireError(caught);
      }
    } finally {
      this.control.signal.removeEventListener('abort', onAbort);
    }
    await this.end(error);
    if (outcome !== 'completed') this.moreRemaining = true;
    return {
      connectorId: this.connector.id,
      outcome,
      error,
      startedAt,
      endedAt: new Date(),
      mailboxQueue: this.mailboxQueue,
      extracted: this.extracted,
      deleted: this.committedDeletes,
      skipped: this.listed ? [...this.skipped.values()] : null,
      moreRemaining: this.moreRemaining,
    };
  }

  private async extract(): Promise<SessionOutcome> {
    const { settings } = this.deps;
    const connectorId = this.connector.id;
    // Kafka first: fence earlier producers of this mailbox and settle what they left in flight.
    const publisher = await this.deps.publisher.open(connectorId, this.scope, this.control.signal);
    this.publisher = publisher;
    await this.checkpoint(false);
    const client = await this.deps.connect(this.connector);
    this.client = client;
    const stat = await client.stat();
    this.mailboxQueue = stat.count;
    if (stat.count === 0) {
      this.listed = true;
      return 'completed';
    }

    const uidls = (await client.uidl()).sort((a, b) => a.msg - b.msg);
    const sizes = new Map((await client.list()).map((entry) => [entry.msg, entry.size]));
    const ids = uidls.map((u) => u.uid);
    const [ledger, failures] = await Promise.all([
      this.deps.ledger.lookup(connectorId, this.scope, ids),
      this.deps.failures.lookup(connectorId, this.scope, ids),
    ]);

    this.listed = true;
    const work: WorkItem[] = [];
    for (const { msg, uid } of uidls) {
      const failure = failures.get(uid);
      if (failure && failure.attempts >= settings.maxRetrievalAttempts) {
        this.skipped.set(uid, { uidl: uid, attempts: failure.attempts, error: failure.lastError });
        continue;
      }
      if (failure) this.hadFailures.add(uid); // refused before: forget that once it goes through
      work.push({ msg, uidl: uid, size: sizes.get(msg) ?? 0, ledger: ledger.get(uid) });
    }
    const limit = Math.max(1, this.connector.maxMessagesPerSession);
    this.moreRemaining = work.length > limit;
    const window = work.slice(0, limit);

    // Published before an interrupted session: delete only. A ledger row whose deletion was
    // confirmed by a QUIT, or whose LIST size differs, cannot be this message: the server reused
    // the UIDL (a QUIT's +OK may have been lost after the server committed it), so it is new.
    const isPublished = (w: WorkItem): boolean =>
      w.ledger !== undefined && w.ledger.deletedAt === null && sameMessage(w.ledger, w.size);
    const reused = window.filter((w) => w.ledger && w.ledger.deletedAt === null && !isPublished(w));
    if (reused.length > 0) {
      this.logger.warn(
        { uidls: reused.slice(0, 20).map((w) => w.uidl), count: reused.length },
        'UIDLs already in the ledger now name messages of another size: they are published, not deleted',
      );
    }
    const publishedBefore = window.filter(isPublished);
    if (publishedBefore.length > 0) {
      await this.checkpoint(false);
      await client.deleMany(publishedBefore.map((w) => w.msg));
      this.deleted.push(...publishedBefore.map((w) => w.uidl));
      this.logger.info({ count: publishedBefore.length }, 'deleted messages published by an earlier session');
    }

    const fresh = window.filter((w) => !isPublished(w));
    let first = true;
    for (const batch of planBatches(
      fresh,
      settings.batchMaxMessages,
      settings.batchMaxBytes,
      settings.inlineLimitBytes,
    )) {
      // Safe point: the previous batch is acknowledged and DELEted.
      await this.checkpoint(!first);
      if (!first && this.timeToWrapUp()) {
        this.moreRemaining = true;
        this.logger.info('session wraps up before its deadline; the rest waits for the next session');
        return 'completed';
      }
      first = false;
      const started = performance.now();
      const messages = await this.retrieveBatch(client, batch);
      const retrieved = performance.now();
      await this.publishAndDelete(client, publisher, messages);
      this.logger.debug(
        {
          messages: messages.length,
          bytes: messages.reduce((sum, m) => sum + m.value.length, 0),
          retrieveMs: Math.round(retrieved - started),
          publishAndDeleteMs: Math.round(performance.now() - retrieved),
        },
        'batch done',
      );
    }
    return 'completed';
  }

  private timeToWrapUp(): boolean {
    const after = this.deps.settings.wrapUpAfterMs;
    return after !== undefined && Date.now() - this.startedAt >= after;
  }

  /**
   * A safe point: stop (StopSession) when the poller is shutting down, the lease is gone or (when
   * asked to re-read the row) the connector was suspended or removed.
   */
  private async checkpoint(reloadConnector: boolean): Promise<void> {
    if (this.control.stopRequested() || this.control.signal.aborted) throw new StopSession('stopped');
    if (!this.lease.held) throw new StopSession('lease-lost');
    if (!reloadConnector) return;
    const current = await this.deps.reloadConnector(this.connector.id);
    if (!current) throw new StopSession('removed');
    if (current.suspended) throw new StopSession('suspended');
  }

  private async publishAndDelete(
    client: MailboxConnection,
    publisher: BatchPublisher,
    messages: ExtractedMessage[],
  ): Promise<void> {
    if (messages.length === 0) return;
    await publisher.publish(messages, this.control.signal);
    // Committed (acks=all) and in the ledger: now, and only now, the batch may be DELEted.
    this.extracted += messages.length;
    this.deps.onPublished?.(this.connector.id, messages);
    if (this.lease.held && !this.control.signal.aborted) {
      await client.deleMany(messages.map((m) => m.msg));
      this.deleted.push(...messages.map((m) => m.uidl));
    }
    const retried = messages.filter((m) => this.hadFailures.has(m.uidl)).map((m) => m.uidl);
    await this.deps.failures.clear(this.connector.id, retried);
  }

  /** RETRs one batch: runs of small messages pipelined, large ones streamed to the blob store. */
  private async retrieveBatch(client: MailboxConnection, batch: WorkItem[]): Promise<ExtractedMessage[]> {
    const out: ExtractedMessage[] = [];
    this.retrieving = true;
    try {
      let i = 0;
      while (i < batch.length) {
        const item = batch[i] as WorkItem;
        if (item.size > this.deps.settings.inlineLimitBytes) {
          const message = await this.retrieveLarge(client, item);
          if (message) out.push(message);
          i += 1;
          continue;
        }
        let j = i;
        while (j < batch.length && (batch[j] as WorkItem).size <= this.deps.settings.inlineLimitBytes) j += 1;
        out.push(...(await this.retrieveSmall(client, batch.slice(i, j))));
        i = j;
      }
    } finally {
      this.retrieving = false;
    }
    if (this.control.signal.aborted) throw new StopSession('stopped');
    return out;
  }

  private async retrieveSmall(client: MailboxConnection, run: WorkItem[]): Promise<ExtractedMessage[]> {
    const out: ExtractedMessage[] = [];
    let pending = run;
    while (pending.length > 0) {
      const byMsg = new Map(pending.map((w) => [w.msg, w]));
      let done = 0;
      try {
        for await (const { msg, data } of client.retrieveMany(
          pending.map((w) => w.msg),
          { window: this.deps.settings.retrieveWindow },
        )) {
          const item = byMsg.get(msg);
          if (!item) throw new JournalwireError('protocol', `RETR returned message ${msg}, which was not asked for`);
          out.push(await this.inlineOrClaimCheck(item, data));
          done += 1;
        }
        pending = [];
      } catch (error) {
        const refused = pending[done];
        if (refused && countsAgainstMessage(error)) await this.noteRefusal(refused, error);
        if (!refused || !isRefusal(error)) throw error;
        await this.noteRefusal(refused, error);
        pending = pending.slice(done + 1);
      }
    }
    return out;
  }

  private async inlineOrClaimCheck(item: WorkItem, data: Buffer): Promise<ExtractedMessage> {
    const extractedAt = new Date().toISOString();
    if (data.length > this.deps.settings.inlineLimitBytes) {
      // LIST under-reported the size: the bytes are here anyway, so store them as a claim check.
      return claimCheckMessage(item, await this.deps.blobStore.put(data), extractedAt);
    }
    return { msg: item.msg, uidl: item.uidl, listSize: item.size, ...inlineRawBody(data), extractedAt };
  }

  /** Streams a message above the inline limit into the blob store: never whole in memory. */
  private async retrieveLarge(client: MailboxConnection, item: WorkItem): Promise<ExtractedMessage | null> {
    let stream: Readable;
    try {
      stream = await client.retrStream(item.msg);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await this.noteRefusal(item, error);
      return null;
    }
    try {
      // A connection failure while streaming rejects with its own error (the blob store passes it on).
      const claim = await this.deps.blobStore.putStream(stream);
      return claimCheckMessage(item, claim, new Date().toISOString());
    } catch (error) {
      if (countsAgainstMessage(error)) await this.noteRefusal(item, error);
      throw error;
    } finally {
      stream.destroy();
    }
  }

  private async noteRefusal(item: WorkItem, error: JournalwireError): Promise<void> {
    const attempts = await this.deps.failures.record(this.connector.id, this.scope, item.uidl, error.message);
    this.hadFailures.add(item.uidl);
    const skipped = attempts >= this.deps.settings.maxRetrievalAttempts;
    if (skipped) this.skipped.set(item.uidl, { uidl: item.uidl, attempts, error: error.message });
    this.logger.warn(
      { uidl: item.uidl, msg: item.msg, attempts, skipped, code: error.code, err: error.message },
      skipped
        ? 'message skipped: the server refused it too often; it stays in the mailbox'
        : 'the server refused a message; it is retried in a later session',
    );
  }

  /** QUIT (committing the DELEs of acknowledged messages) unless the connection is unusable. */
  private async end(error: JournalwireError | null): Promise<void> {
    await this.publisher?.close();
    const client = this.client;
    if (!client) return;
    if (error && CONNECTION_LOST.has(error.code)) {
      client.destroy();
      return;
    }
    try {
      await client.quit();
    } catch (quitError) {
      this.logger.warn(
        { err: quitError },
        'QUIT failed: deletions of this session were not committed and are repeated next session',
      );
      client.destroy();
      return;
    }
    this.committedDeletes = this.deleted.length;
    if (this.deleted.length > 0) {
      try {
        await this.deps.ledger.markDeleted(this.connector.id, this.scope, this.deleted);
      } catch (markError) {
        this.logger.warn(
          { err: markError },
          'could not record deleted_at; harmless, the messages are gone from the mailbox',
        );
      }
    }
  }
}

function claimCheckMessage(item: WorkItem, claim: ClaimCheck, extractedAt: string): ExtractedMessage {
  return { msg: item.msg, uidl: item.uidl, listSize: item.size, ...claimCheckRawBody(claim), extractedAt };
}

/**
 * A RETR that failed the session because of this message (far beyond its LIST size, or not
 * delivered within the response deadline): counted like a refusal, so that the message is
 * skipped (left in the mailbox and reported) after MAX_RETRIEVAL_ATTEMPTS instead of failing
 * every session.
 */
function countsAgainstMessage(error: unknown): error is JournalwireError {
  return (
    isJournalwireError(error, 'response-too-large') ||
    (isJournalwireError(error, 'deadline-exceeded') && error.details['deadline'] === 'response')
  );
}

/** -ERR to a RETR (the message, not the connection, is the problem). */
export function isRefusal(error: unknown): error is JournalwireError {
  return isJournalwireError(error, 'server-permanent') || isJournalwireError(error, 'server-temporary');
}

/**
 * Batches in UIDL order: at most `maxMessages` and about `maxBytes` of inline messages per batch
 * (by LIST size; a message above the inline limit counts only its claim check).
 */
export function planBatches<T extends { size: number }>(
  items: T[],
  maxMessages: number,
  maxBytes: number,
  inlineLimit: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const weight = item.size > inlineLimit ? 1024 : item.size;
    if (current.length > 0 && (current.length >= maxMessages || bytes + weight > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += weight;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
