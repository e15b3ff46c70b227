import type { DataSource } from 'typeorm';
import { TOPICS } from '#contracts';
import { claimCheckKeysIn, topicRetention, type KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { pruneBlobs } from './blob-pruning.js';
import {
  pruneDedupKeys,
  pruneEvents,
  pruneLedger,
  pruneListedOutcomes,
  pruneOutcomes,
  type Queryable,
} from './database-pruning.js';

export interface RetentionSettings {
  batchSize: number;
  dedupWindowDays: number;
  /** 0 keeps connector events forever. */
  eventRetentionDays: number;
  blobMarginHours: number;
}

export interface PruneReport {
  ledgerRows: number;
  outcomeRows: number;
  dedupKeys: number;
  eventRows: number;
  /** Rows of the rejected/dead-lettered list whose records left their topics. */
  listedOutcomeRows: number;
  blobsRemoved: number;
  /** Old blobs kept because a retained record references them. */
  blobsKept: number;
  /** What was left alone, and why (a topic keeping records forever, events kept forever). */
  notes: string[];
}

/** The topics whose records may carry a claim check. */
export const CLAIM_CHECK_TOPICS = [TOPICS.raw, TOPICS.classified, TOPICS.archived, TOPICS.rejected, TOPICS.dlq];

const DAY_MS = 24 * 3600 * 1000;
/** pg_try_advisory_lock key: one pruning run at a time across every instance. */
const LOCK_KEY = 0x6a770001;

/**
 * Prunes what can no longer matter, in bounded batches (docs/operations.md, "Retention"):
 * - ledger rows of messages deleted from the mailbox longer ago than journal.raw.v2 keeps records;
 * - outcomes older than the dedup window and than the raw and classified topics keep records
 *   (a replay of a retained record still finds its outcome);
 * - dedup keys older than the dedup window; connector events older than their retention;
 * - rows of the rejected/dead-lettered list older than what journal.rejected.v2 and journal.dlq.v2 keep;
 * - blobs last written before the longest topic retention plus a margin that no retained record
 *   references.
 * Topic retention is read from the broker at each run, so an operator's change counts at once.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: { dataSource: DataSource; kafka: KafkaGateway; logger: Logger; blobDir: string | null },
    private readonly settings: RetentionSettings,
  ) {}

  /** One run; null when another instance is running one. */
  async runOnce(now = new Date()): Promise<PruneReport | null> {
    const runner = this.deps.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [lock] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY])) as Array<{
        locked: boolean;
      }>;
      if (!lock?.locked) return null;
      try {
        return await this.prune(runner, now);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  private async prune(db: Queryable, now: Date): Promise<PruneReport> {
    const { batchSize, dedupWindowDays, eventRetentionDays, blobMarginHours } = this.settings;
    const report: PruneReport = {
      ledgerRows: 0,
      outcomeRows: 0,
      dedupKeys: 0,
      eventRows: 0,
      listedOutcomeRows: 0,
      blobsRemoved: 0,
      blobsKept: 0,
      notes: [],
    };
    const ages = new Map(
      (await topicRetention(this.deps.kafka, CLAIM_CHECK_TOPICS)).map((t) => [t.topic, t.maxRecordAgeMs]),
    );
    const forever = CLAIM_CHECK_TOPICS.filter((topic) => (ages.get(topic) ?? null) === null);
    const ageOf = (topic: string) => ages.get(topic) ?? null;
    const before = (ms: number) => new Date(now.getTime() - ms);

    const rawAge = ageOf(TOPICS.raw);
    if (rawAge === null) report.notes.push(`ledger kept: ${TOPICS.raw} keeps records forever`);
    else report.ledgerRows = await pruneLedger(db, before(rawAge), batchSize);

    const dedupWindowMs = dedupWindowDays * DAY_MS;
    const classifiedAge = ageOf(TOPICS.classified);
    if (rawAge === null || classifiedAge === null)
      report.notes.push(`outcomes kept: ${TOPICS.raw} or ${TOPICS.classified} keeps records forever`);
    else
      report.outcomeRows = await pruneOutcomes(db, before(Math.max(dedupWindowMs, rawAge, classifiedAge)), batchSize);
    report.dedupKeys = await pruneDedupKeys(db, before(dedupWindowMs), batchSize);

    if (eventRetentionDays === 0) report.notes.push('events kept: EVENT_RETENTION_DAYS is 0');
    else report.eventRows = await pruneEvents(db, before(eventRetentionDays * DAY_MS), batchSize);

    const rejectedAge = ageOf(TOPICS.rejected);
    const dlqAge = ageOf(TOPICS.dlq);
    if (rejectedAge === null || dlqAge === null)
      report.notes.push(`listed outcomes kept: ${TOPICS.rejected} or ${TOPICS.dlq} keeps records forever`);
    else report.listedOutcomeRows = await pruneListedOutcomes(db, before(Math.max(rejectedAge, dlqAge)), batchSize);

    if (this.deps.blobDir) {
      // With a topic that keeps records forever only the reference scan protects its blobs.
      const longest = forever.length > 0 ? 0 : Math.max(...CLAIM_CHECK_TOPICS.map((t) => ageOf(t) ?? 0));
      if (forever.length > 0)
        report.notes.push(`blobs: ${forever.join(', ')} keep records forever; pruning by reference only`);
      const blobs = await pruneBlobs(this.deps.blobDir, {
        cutoff: before(longest + blobMarginHours * 3600 * 1000),
        batchSize,
        referenced: () => claimCheckKeysIn(this.deps.kafka, CLAIM_CHECK_TOPICS),
      });
      report.blobsRemoved = blobs.removed;
      report.blobsKept = blobs.kept;
    }
    return report;
  }

  /** Runs every `intervalMs` (the first run after one interval, at most a minute); logs each result. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runAndLog().finally(() => {
          this.running = undefined;
          if (this.timer) schedule(intervalMs);
        });
      }, delay);
      this.timer.unref();
    };
    schedule(Math.min(intervalMs, 60_000));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async runAndLog(): Promise<void> {
    try {
      const report = await this.runOnce();
      if (report) this.deps.logger.info({ ...report }, 'pruning done');
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'pruning failed; trying again at the next interval');
    }
  }
}
