import type { Readable } from 'node:stream';
import type { BlobStore } from '#blob-store';
import { claimCheckRawBody, inlineRawBody, type ClaimCheck } from '#contracts';
import { isJournalwireError, JournalwireError, toJournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ledgerScopeOf, type ConnectorEntity } from '#persistence';
import type { ListEntry, MailboxStat, RetrieveManyOptions, RetrievedMessage, UidlEntry } from '#pop3';
import type { LeaseHandle } from './lease.js';
import type { LedgerPort, RetrievalFailuresPort } from './ledger.js';
import type { BatchPublisher, ExtractedMessage, RawPublisherPort } from './raw-publisher.js';
import { planSession, type SkippedMessage, type WorkItem } from './session-plan.js';

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
  retrieveWindowBytes: number;
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

/**
 * Wall-clock ms a session spent per stage. Retrieval of a batch runs beside the commit of the one
 * before, so `retrieve` and `commit` overlap; the two `waiting` figures say which side was the
 * bottleneck (the mailbox connection idle while Kafka and the ledger commit, or the other way).
 */
export interface SessionStages {
  /** From the start to the first batch: fencing, settling, connecting, STAT, UIDL, LIST, ledger look-ups. */
  setup: number;
  /**
   * The parts of `setup` on the mailbox's side: connecting (TCP, TLS, greeting, login; the server
   * opens the mailbox at login, about 1 s for 10,000 messages with the local Dovecot), then STAT,
   * UIDL and LIST, then the ledger's look-up of every UIDL. Kafka's fencing runs beside them.
   */
  setupConnect: number;
  setupList: number;
  setupLookup: number;
  /** RETR of batches (pipelined), including claim checks written to the blob store. */
  retrieve: number;
  /** In-flight marker, Kafka transaction (acks=all), ledger rows: until a batch may be DELEd. */
  commit: number;
  /** The parts of `commit` (when the publisher measures them). */
  commitMarker?: number;
  commitKafka?: number;
  commitLedger?: number;
  /** Re-reading the connector before each batch is published (suspended or removed?). */
  checkpoint: number;
  dele: number;
  /** Closing the publisher, then QUIT: the server commits the DELEs (expunges the messages). */
  quit: number;
  /** The ledger's deleted_at for the messages QUIT removed. */
  ledgerDeleted: number;
  /** Retrieval of the next batch was done; the commit of the last was not. */
  waitingOnCommit: number;
  /** The commit was done; retrieval of the next batch was not. */
  waitingOnRetrieval: number;
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
  /** Where the session's time went (absent when no session ran). */
  stages?: SessionStages;
}

/** A batch whose commit (Kafka transaction, then ledger) is under way. */
interface PendingCommit {
  messages: ExtractedMessage[];
  /** Settles when the batch is committed and in the ledger (it may then be DELEd), or failed. */
  done: Promise<void>;
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
 * open the publisher (fence, settle in-flight records) → connect → STAT → UIDL/LIST → plan
 * (session-plan.ts) → DELE what the ledger already has → batches of (pipelined RETR → one Kafka
 * transaction, acks=all → ledger → DELE) → QUIT → ledger deleted_at.
 * Batches overlap: batch N+1 is retrieved while batch N commits. Nothing is DELEted before Kafka
 * acknowledged it and the ledger recorded it (see runBatches).
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
  private readonly stages: SessionStages = {
    setup: 0,
    setupConnect: 0,
    setupList: 0,
    setupLookup: 0,
    retrieve: 0,
    commit: 0,
    checkpoint: 0,
    dele: 0,
    quit: 0,
    ledgerDeleted: 0,
    waitingOnCommit: 0,
    waitingOnRetrieval: 0,
  };
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
    const ending = performance.now();
    const timings = this.publisher?.timings;
    await this.end(error);
    this.stages.quit = performance.now() - ending - this.stages.ledgerDeleted;
    if (timings) {
      this.stages.commitMarker = timings.marker;
      this.stages.commitKafka = timings.kafka;
      this.stages.commitLedger = timings.ledger;
    }
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
      stages: Object.fromEntries(
        Object.entries(this.stages).map(([stage, ms]) => [stage, Math.round(ms)]),
      ) as unknown as SessionStages,
    };
  }

  private async extract(): Promise<SessionOutcome> {
    const { settings } = this.deps;
    const connectorId = this.connector.id;
    // Side by side: Kafka (fence earlier producers of this mailbox, settle what they left in
    // flight) and the mailbox (connect, STAT, UIDL, LIST). Nothing listed is looked up in the
    // ledger, let alone acted on, before the settling is done; a Kafka failure still wins.
    const opening = this.deps.publisher.open(connectorId, this.scope, this.control.signal).then((publisher) => {
      this.publisher = publisher;
      return publisher;
    });
    const listing = this.listMailbox();
    const [opened, listed] = await Promise.allSettled([opening, listing]);
    if (opened.status === 'rejected') throw opened.reason;
    if (listed.status === 'rejected') throw listed.reason;
    const publisher = opened.value;
    await this.checkpoint(false);
    if (!listed.value) {
      this.listed = true;
      return 'completed';
    }
    const { client, uidls, sizes } = listed.value;
    const ids = uidls.map((u) => u.uid);
    const lookingUp = performance.now();
    const [ledger, failures] = await Promise.all([
      this.deps.ledger.lookup(connectorId, this.scope, ids),
      this.deps.failures.lookup(connectorId, this.scope, ids),
    ]);
    this.stages.setupLookup = performance.now() - lookingUp;
    const plan = planSession(
      { uidls, sizes, ledger, failures },
      { ...settings, maxMessagesPerSession: this.connector.maxMessagesPerSession },
    );
    this.listed = true;
    for (const skipped of plan.skipped) this.skipped.set(skipped.uidl, skipped);
    for (const uidl of plan.refusedBefore) this.hadFailures.add(uidl); // forgotten once it goes through
    this.moreRemaining = plan.moreRemaining;

    if (plan.reused.length > 0) {
      this.logger.warn(
        { uidls: plan.reused.slice(0, 20).map((w) => w.uidl), count: plan.reused.length },
        'UIDLs already in the ledger now name messages of another size: they are published, not deleted',
      );
    }
    if (plan.deleteOnly.length > 0) {
      await this.checkpoint(false);
      await client.deleMany(plan.deleteOnly.map((w) => w.msg));
      this.deleted.push(...plan.deleteOnly.map((w) => w.uidl));
      this.logger.info({ count: plan.deleteOnly.length }, 'deleted messages published by an earlier session');
    }
    this.stages.setup = Date.now() - this.startedAt;
    await this.runBatches(client, publisher, plan.batches);
    return 'completed';
  }

  /** Connects, then STAT, UIDL and LIST; null when the mailbox is empty. */
  private async listMailbox(): Promise<{
    client: MailboxConnection;
    uidls: Awaited<ReturnType<MailboxConnection['uidl']>>;
    sizes: Awaited<ReturnType<MailboxConnection['list']>>;
  } | null> {
    const connecting = performance.now();
    const client = await this.deps.connect(this.connector);
    this.client = client;
    const listing = performance.now();
    this.stages.setupConnect = listing - connecting;
    const stat = await client.stat();
    this.mailboxQueue = stat.count;
    if (stat.count === 0) return null;
    const uidls = await client.uidl();
    const sizes = await client.list();
    this.stages.setupList = performance.now() - listing;
    return { client, uidls, sizes };
  }

  /**
   * The batches as a two-stage pipeline: while batch N commits (in-flight marker, Kafka
   * transaction, ledger), batch N+1 is retrieved over the mailbox connection. POP3 is one
   * conversation, so batch N's DELEs follow once both are done, and only if N's commit succeeded:
   * a message is DELEd only when Kafka and the ledger have it. A failed commit leaves its batch and
   * the one retrieved beside it untouched in the mailbox; a crash at any point leaves at most a
   * committed batch not yet DELEd (the ledger has it: the next session only DELEs it) and an
   * in-flight marker that the next session settles.
   */
  private async runBatches(client: MailboxConnection, publisher: BatchPublisher, batches: WorkItem[][]): Promise<void> {
    let committing: PendingCommit | null = null;
    try {
      for (const [index, batch] of batches.entries()) {
        // Safe point before more RETRs: shutdown or a lost lease stops here.
        await this.checkpoint(false);
        if (index > 0 && this.timeToWrapUp()) {
          this.moreRemaining = true;
          this.logger.info('session wraps up before its deadline; the rest waits for the next session');
          break;
        }
        const messages = await this.retrieveBeside(client, batch, committing);
        committing = null;
        // Safe point before publishing: also re-reads the connector (suspended or removed since?).
        const checking = performance.now();
        await this.checkpoint(true);
        this.stages.checkpoint += performance.now() - checking;
        committing = this.startCommit(publisher, messages);
      }
      if (committing) {
        const last: PendingCommit = committing;
        committing = null;
        await last.done;
        await this.deleteCommitted(client, last.messages);
      }
    } catch (error) {
      // Stopping at a safe point: the batch committing still gets its DELEs (the connection is fine).
      if (committing) await this.finishAbandoned(client, committing, error instanceof StopSession);
      throw error;
    }
  }

  /**
   * Retrieves `batch` while `committing` commits; then DELEs the committed batch. Throws the
   * commit's failure first (nothing of either batch is DELEd), then the retrieval's (the committed
   * batch is in the ledger and is DELEd by the next session).
   */
  private async retrieveBeside(
    client: MailboxConnection,
    batch: WorkItem[],
    committing: PendingCommit | null,
  ): Promise<ExtractedMessage[]> {
    const started = performance.now();
    const retrieval = this.retrieveBatch(client, batch);
    const settledAt = (p: Promise<unknown>) =>
      p.then(
        () => performance.now(),
        () => performance.now(),
      );
    const [retrievedAt, committedAt] = await Promise.all([
      settledAt(retrieval),
      committing ? settledAt(committing.done) : Promise.resolve(started),
    ]);
    this.stages.retrieve += retrievedAt - started;
    if (committing) {
      this.stages.waitingOnCommit += Math.max(0, committedAt - retrievedAt);
      this.stages.waitingOnRetrieval += Math.max(0, retrievedAt - committedAt);
      await committing.done;
    }
    const messages = await retrieval;
    if (committing) await this.deleteCommitted(client, committing.messages);
    return messages;
  }

  /** Publishes a retrieved batch (one transaction, then the ledger); settles in `done`. */
  private startCommit(publisher: BatchPublisher, messages: ExtractedMessage[]): PendingCommit | null {
    if (messages.length === 0) return null;
    const started = performance.now();
    const done = (async () => {
      try {
        await publisher.publish(messages, this.control.signal);
      } finally {
        this.stages.commit += performance.now() - started;
      }
      this.extracted += messages.length;
      this.deps.onPublished?.(this.connector.id, messages);
      const retried = messages.filter((m) => this.hadFailures.has(m.uidl)).map((m) => m.uidl);
      await this.deps.failures.clear(this.connector.id, retried);
    })();
    done.catch(() => undefined); // awaited by retrieveBeside or finishAbandoned
    return { messages, done };
  }

  /** Committed (acks=all) and in the ledger: now, and only now, the batch may be DELEted. */
  private async deleteCommitted(client: MailboxConnection, messages: ExtractedMessage[]): Promise<void> {
    if (!this.lease.held || this.control.signal.aborted) return;
    const started = performance.now();
    await client.deleMany(messages.map((m) => m.msg));
    this.deleted.push(...messages.map((m) => m.uidl));
    this.stages.dele += performance.now() - started;
  }

  /**
   * The session ends while a batch commits: wait for the commit (the publisher must not close under
   * it) and, when the session stops at a safe point, DELE the batch if it committed.
   */
  private async finishAbandoned(client: MailboxConnection, committing: PendingCommit, dele: boolean): Promise<void> {
    try {
      await committing.done;
      if (dele) await this.deleteCommitted(client, committing.messages);
    } catch {
      // The session already ends with another reason; an uncommitted batch stays in the mailbox,
      // a committed one not DELEd here is DELEd by the next session (the ledger has it).
    }
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
          { window: this.deps.settings.retrieveWindow, windowBytes: this.deps.settings.retrieveWindowBytes },
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
      const marking = performance.now();
      try {
        await this.deps.ledger.markDeleted(this.connector.id, this.scope, this.deleted);
        this.stages.ledgerDeleted = performance.now() - marking;
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
