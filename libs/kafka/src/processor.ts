import { isJournalwireError, JournalwireError, withDeadline } from '#errors';
import type { Logger } from '#logger';
import { CrashGuard, type ChunkPlan, type ProcessingMarks } from './crash-guard.js';
import type { KafkaGateway } from './kafka-gateway.js';
import type { IncomingRecord, OutgoingRecord } from './records.js';
import type { GroupConsumer, PartitionBatch } from './group-consumer.js';
import { kafkaErrorTypes, retriableKafkaError } from './kafka-errors.js';
import type { ReliableProducer } from './reliable-producer.js';
import { ProcessorState, type Dependency, type Outage } from './processor-state.js';

/** What became of one record of a chunk: its outputs, or the error that makes it a dead letter. */
export type RecordResult = { outputs: OutgoingRecord[] } | { error: unknown };

/**
 * Lets timers run (the processor's heartbeats) between records: a chain of awaits that resolve at
 * once never leaves the microtask queue, so a chunk of CPU-heavy records would starve them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A chunk handler from a handler of single records, called one record at a time. A retryable
 * JournalwireError fails the chunk (the processor retries it); any other error is that record's result.
 */
export function eachRecord(
  handle: (record: IncomingRecord) => Promise<OutgoingRecord[]>,
): (records: IncomingRecord[]) => Promise<RecordResult[]> {
  return async (records) => {
    const results: RecordResult[] = [];
    for (const record of records) {
      try {
        results.push({ outputs: await handle(record) });
      } catch (error) {
        if (isJournalwireError(error) && error.retryable) throw error;
        results.push({ error });
      }
      await yieldToEventLoop();
    }
    return results;
  };
}

export interface ProcessorOptions {
  groupId: string;
  topics: string[];
  /** Stable per instance, so a restarted instance fences its crashed predecessor at once. */
  transactionalId: string;
  /**
   * Turns a chunk of records into one result per record, in order. A record whose result is an
   * error is dead-lettered at once (`onError`). Throwing fails the whole chunk: it is retried,
   * record by record if it fails again, and a record that keeps failing is dead-lettered after
   * `maxAttempts`. `eachRecord` adapts a handler of single records.
   */
  handleChunk: (records: IncomingRecord[]) => Promise<RecordResult[]>;
  /** Outputs for a record that failed (its dead letter); must fit its topic. */
  onError: (record: IncomingRecord, error: unknown, attempts: number) => Promise<OutgoingRecord[]>;
  /** Called after each committed transaction, for metrics and status. */
  onCommitted?: (records: IncomingRecord[], outputs: OutgoingRecord[]) => void;
  /**
   * What the handler needs besides Kafka (PostgreSQL, blob store). When a chunk fails, these and
   * Kafka are probed: an unreachable one is an outage, waited out without counting against the record.
   */
  dependencies?: Dependency[];
  /** What the processor is waiting for, for health probes. */
  state?: ProcessorState;
  /** Records per transaction. */
  chunkSize?: number;
  /**
   * Where chunks are marked as begun, so that a record that keeps ending its process (a crash, an
   * out-of-memory kill) is dead-lettered after `maxCrashes` such ends instead of looping forever.
   */
  marks?: ProcessingMarks;
  /** Ends of the process a record may cause before it is given up (default 3). */
  maxCrashes?: number;
  /**
   * Tries of a failing record before it is dead-lettered (default 5). A record that times out is
   * dead-lettered after `MAX_TIMEOUT_TRIES` (its chunk's try counts), so a hang holds its
   * partition for about two `attemptTimeoutMs`, not `maxAttempts` of them.
   */
  maxAttempts?: number;
  /** First pause between tries of a failing record, doubled each time (default 500 ms). */
  retryBackoffMs?: number;
  /** One try of a chunk (or of one record) that takes longer fails with `timeout` (default 30 s). */
  attemptTimeoutMs?: number;
  fromBeginning?: boolean;
}

/** Kafka errors that say the group or the transaction moved on, not that a record is bad. */
const COORDINATION_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

/** Kafka refusals that are about the record itself, however the client classifies them. */
const RECORD_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/**
 * Tries of a record that end in the processor's timeout before it is dead-lettered: a record that
 * does not finish in time once finishes no sooner the next time, and every try holds its partition.
 */
const MAX_TIMEOUT_TRIES = 2;

/** Transient Kafka failures in a row a record may meet (waited out like an outage) before they count. */
const MAX_TRANSIENT_KAFKA_FAILURES = 10;

const MAX_PAUSE_MS = 30_000;

/** One try of a chunk that takes longer fails with `timeout`: two tries stay well under a minute and a half. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/** Whether the group still lets this member work on what it holds. */
interface Liveness {
  live(): boolean;
}

/** The consumer's view of the batch being worked on. */
interface BatchContext extends Liveness {
  resolve(chunk: IncomingRecord[]): void;
}

/** One partition's chunk within a transaction. */
interface ChunkPart {
  chunk: IncomingRecord[];
  context: BatchContext;
}

type Attempt = { ok: true } | { ok: false; error: unknown };

/** The group moved on while a chunk was worked on: the batch is abandoned and fetched again. */
class Abandoned extends Error {
  constructor(readonly reason?: unknown) {
    super('the group moved on');
  }
}

/**
 * Consume-transform-produce with exactly-once effect on Kafka: each chunk's outputs and its
 * input offsets are committed in one transaction, so a crash replays the chunk and the aborted
 * outputs are invisible to read-committed consumers.
 *
 * No record stalls its partition: a failed chunk is tried again record by record, so one bad
 * record costs its neighbours one retry; a record that keeps failing, whatever the failure (a
 * handler exception, a timeout, the broker refusing its output, a database refusing its data),
 * is dead-lettered after `maxAttempts` tries. Only an outage (Kafka or a dependency unreachable)
 * waits, with backoff, reported by `state`. The client heartbeats in the background, so a long
 * chunk or a wait never costs the membership; an instance that loses it anyway (a stalled process)
 * cannot commit: its transactional offset commit carries the group generation it fetched under.
 */
export class TransactionalProcessor {
  private consumer: GroupConsumer | undefined;
  private producer: ReliableProducer | undefined;
  private readonly failures = new Map<string, number>();
  private readonly transientFailures = new Map<string, number>();
  private readonly timeouts = new Map<string, number>();
  private readonly state: ProcessorState;
  private readonly guard: CrashGuard | undefined;
  private stopping = false;

  constructor(
    private readonly kafka: KafkaGateway,
    private readonly logger: Logger,
    private readonly options: ProcessorOptions,
  ) {
    this.state = options.state ?? new ProcessorState();
    this.guard = options.marks && new CrashGuard(options.marks, options.groupId, options.maxCrashes ?? 3);
  }

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 5;
  }

  /** Starts consuming in the background, retrying with backoff while Kafka is unreachable. */
  start(): void {
    void this.runUntilStopped();
  }

  private async runUntilStopped(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.connectAndRun();
        return;
      } catch (error) {
        const delay = Math.min(MAX_PAUSE_MS, 500 * 2 ** Math.min(attempt, 6));
        this.logger.error(
          { err: error, retryInMs: delay },
          `processor ${this.options.groupId} could not start; retrying`,
        );
        this.state.waiting({ dependency: 'kafka', message: errorMessage(error) });
        await this.consumer?.stop().catch(() => undefined);
        await this.dropProducer();
        await sleep(delay);
      }
    }
  }

  private async connectAndRun(): Promise<void> {
    await this.ensureProducer();
    const chunkSize = this.options.chunkSize ?? 100;
    const consumer: GroupConsumer = this.kafka.createGroupConsumer({
      groupId: this.options.groupId,
      topics: this.options.topics,
      readCommitted: true,
      fromBeginning: this.options.fromBeginning ?? true,
      autoResolve: false,
      // Fetches wait up to 100 ms for about 1 MiB: under load each transaction carries more records.
      fetchMinBytes: 1024 * 1024,
      fetchMaxWaitMs: 100,
      onAssigned: () => {
        this.state.groupJoins++;
      },
      // The member stopped (its stream failed, its heartbeats stalled): start over with a new one,
      // so a broker outage only delays work.
      onCrash: (error) => {
        if (this.stopping || this.consumer !== consumer) return;
        this.logger.error({ err: error }, `processor ${this.options.groupId} crashed; starting over`);
        void this.restart();
      },
      eachRound: async (batches) => {
        try {
          await this.runRound(batches, chunkSize);
        } catch (error) {
          if (!(error instanceof Abandoned)) throw error;
          const live = batches.some((batch) => batch.live());
          // Still live: refused for a reason this member has not seen yet (a rejoin under way).
          // The rest of the round is handed over again: not at once.
          if (live) await sleep(500);
          this.logger.info(
            {
              partitions: batches.map((batch) => `${batch.topic}/${batch.partition}`),
              reason: errorMessage(error.reason ?? 'rebalance'),
              kafkaErrors: kafkaErrorTypes(error.reason),
            },
            'group rebalanced; batch left to refetch',
          );
        }
      },
    });
    this.consumer = consumer;
    await consumer.start();
    this.resumed();
  }

  /** The consumer's view of one partition's batch, for the chunks taken from it. */
  private contextOf(batch: PartitionBatch): BatchContext {
    return {
      live: () => !this.stopping && batch.live(),
      resolve: (chunk) => {
        batch.resolve(chunk[chunk.length - 1]!.offset);
        for (const record of chunk) {
          this.failures.delete(positionOf(record));
          this.transientFailures.delete(positionOf(record));
          this.timeouts.delete(positionOf(record));
        }
      },
    };
  }

  /**
   * The batches of every partition with records, a transaction at a time: each transaction takes
   * a share of each partition's records (at most `chunkSize` in all), so one transaction carries
   * the work of all partitions instead of one transaction per partition.
   */
  private async runRound(batches: PartitionBatch[], chunkSize: number): Promise<void> {
    const lanes = batches.map((batch) => ({ records: batch.records, next: 0, context: this.contextOf(batch) }));
    const live = () => lanes.every((lane) => lane.context.live());
    // While one transaction commits, the next is already being handled: the broker round trips of
    // a commit overlap with the handler's work.
    let committing: Promise<{ parts: ChunkPart[]; error?: unknown }> | undefined;
    const settle = async () => {
      const committed = await committing;
      committing = undefined;
      if (!committed) return;
      if (committed.error === undefined) {
        this.resumed(); // a commit that went through: whatever was waited for answers
        for (const part of committed.parts) part.context.resolve(part.chunk);
      } else await this.recoverParts(committed.parts, committed.error);
    };
    for (;;) {
      if (!live()) break;
      const open = lanes.filter((lane) => lane.next < lane.records.length);
      if (open.length === 0) break;
      const share = Math.max(1, Math.floor(chunkSize / open.length));
      const parts: ChunkPart[] = [];
      const plans = await this.planChunks(
        open.map((lane) => lane.records.slice(lane.next, lane.next + share)),
        open.map((lane) => lane.context),
      );
      for (const [i, lane] of open.entries()) {
        const plan = plans[i]!;
        if (plan.kind === 'give-up') {
          await settle();
          await this.deadLetter(plan.record, crashedError(plan.crashes), plan.crashes, lane.context);
          lane.next += 1;
          continue;
        }
        lane.next += plan.chunk.length;
        parts.push({ chunk: plan.chunk, context: lane.context });
      }
      if (parts.length === 0) continue;
      const outputs = await this.outputsOf(parts.flatMap((part) => part.chunk)).catch((error: unknown) => ({
        error,
      }));
      await settle();
      if ('error' in outputs) await this.recoverParts(parts, outputs.error);
      else
        committing = this.commit(
          parts.map((part) => part.chunk),
          outputs,
        ).then(
          () => ({ parts }),
          (error: unknown) => ({ parts, error }),
        );
    }
    await settle();
  }

  /**
   * A transaction of several partitions' chunks failed: each chunk is tried alone, so that the
   * partitions whose records are fine move on, and a failing one recovers as a chunk of its own.
   */
  private async recoverParts(parts: ChunkPart[], error: unknown): Promise<void> {
    if (parts.length === 1) return this.recover(parts[0]!.chunk, error, parts[0]!.context);
    if (coordinationError(error)) throw new Abandoned(error);
    for (const part of parts) {
      // A timeout is not tried whole again: that try would take as long, and counts for none.
      if (attemptTimeout(error)) {
        await this.recover(part.chunk, error, part.context);
        continue;
      }
      const attempt = await this.attempt(part.chunk);
      if (attempt.ok) part.context.resolve(part.chunk);
      else await this.recover(part.chunk, attempt.error, part.context);
    }
  }

  /**
   * The next chunk of each partition, marked as begun (see CrashGuard) in one write. While the marks
   * cannot be written the database is waited for; a failure that is not an outage leaves the chunks
   * unguarded.
   */
  private async planChunks(lanes: IncomingRecord[][], contexts: BatchContext[]): Promise<ChunkPlan[]> {
    if (!this.guard) return lanes.map((chunk) => ({ kind: 'handle', chunk }));
    const all: Liveness = { live: () => contexts.every((context) => context.live()) };
    for (let wait = 0; ; wait++) {
      try {
        return await this.guard.plan(lanes);
      } catch (error) {
        const outage = await this.findOutage(all);
        if (!outage) {
          this.logger.error(
            { ...sourceOf(lanes[0]![0]!), partitions: lanes.length, err: error },
            'could not mark the chunks as begun; handling them unguarded',
          );
          return lanes.map((chunk) => ({ kind: 'handle', chunk }));
        }
        await this.waitOut(outage, wait, all);
      }
    }
  }

  /**
   * A chunk failed: wait out an outage and try it whole again; otherwise try its records one by
   * one, each with bounded tries. Returns once every record is committed; throws `Abandoned` when
   * the group moved on.
   */
  private async recover(chunk: IncomingRecord[], firstError: unknown, context: BatchContext): Promise<void> {
    let error = firstError;
    if (coordinationError(error)) throw new Abandoned(error);
    for (let wait = 0; ; wait++) {
      const outage = await this.findOutage(context);
      if (!outage) break;
      await this.waitOut(outage, wait, context);
      const attempt = await this.attempt(chunk);
      if (attempt.ok) {
        this.resumed();
        context.resolve(chunk);
        return;
      }
      error = attempt.error;
    }
    this.resumed();
    if (chunk.length === 1) return this.retryRecord(chunk[0]!, error, context);
    this.logger.warn(
      { topic: chunk[0]!.topic, partition: chunk[0]!.partition, records: chunk.length, err: error },
      'chunk failed; trying its records one by one',
    );
    for (const record of chunk) {
      const attempt = await this.attempt([record]);
      if (attempt.ok) {
        context.resolve([record]);
        continue;
      }
      // The chunk timed out and so does this record alone: the chunk's try was its first.
      if (attemptTimeout(error) && attemptTimeout(attempt.error)) this.countTimeout(record);
      await this.retryRecord(record, attempt.error, context);
    }
  }

  /**
   * Tries one failing record until it passes or has failed `maxAttempts` times, or timed out
   * `MAX_TIMEOUT_TRIES` times (outages not counted).
   */
  private async retryRecord(record: IncomingRecord, firstError: unknown, context: BatchContext): Promise<void> {
    let error = firstError;
    for (let wait = 0; ;) {
      if (coordinationError(error)) throw new Abandoned(error);
      const outage = (await this.findOutage(context)) ?? this.transientKafkaFailure(record, error);
      if (outage) {
        await this.waitOut(outage, wait++, context);
      } else {
        this.resumed();
        wait = 0;
        const failures = (this.failures.get(positionOf(record)) ?? 0) + 1;
        this.failures.set(positionOf(record), failures);
        const timeouts = attemptTimeout(error) ? this.countTimeout(record) : 0;
        if (failures >= this.maxAttempts || timeouts >= MAX_TIMEOUT_TRIES)
          return this.deadLetter(record, error, Math.max(failures, timeouts), context);
        const pause = Math.min(MAX_PAUSE_MS, (this.options.retryBackoffMs ?? 500) * 2 ** (failures - 1));
        this.logger.warn(
          { ...sourceOf(record), attempt: failures, maxAttempts: this.maxAttempts, retryInMs: pause, err: error },
          'record failed; retrying it',
        );
        await this.pause(pause, context);
      }
      const attempt = await this.attempt([record]);
      if (attempt.ok) {
        this.resumed(); // it may have passed right after an outage was waited out
        context.resolve([record]);
        return;
      }
      error = attempt.error;
    }
  }

  private async deadLetter(
    record: IncomingRecord,
    error: unknown,
    attempts: number,
    context: BatchContext,
  ): Promise<void> {
    this.logger.error(
      { ...sourceOf(record), attempts, err: error },
      `record failed ${attempts} time(s); dead-lettering it`,
    );
    for (let wait = 0; ; wait++) {
      try {
        await this.commit([[record]], await this.options.onError(record, error, attempts));
        context.resolve([record]);
        return;
      } catch (failure) {
        if (coordinationError(failure)) throw new Abandoned(failure);
        const outage = (await this.findOutage(context)) ?? {
          dependency: 'dead-letter',
          message: `the dead letter of ${positionOf(record)} could not be written: ${errorMessage(failure)}`,
        };
        await this.waitOut(outage, wait, context);
      }
    }
  }

  /** Counts a try of the record that ended in the processor's timeout; returns how many there were. */
  private countTimeout(record: IncomingRecord): number {
    const timeouts = (this.timeouts.get(positionOf(record)) ?? 0) + 1;
    this.timeouts.set(positionOf(record), timeouts);
    return timeouts;
  }

  /**
   * A failure the client calls retriable (a leader moving, a broker still starting) right after Kafka
   * answered a probe is waited out like an outage, a bounded number of times in a row per record.
   */
  private transientKafkaFailure(record: IncomingRecord, error: unknown): Outage | null {
    if (!transientKafkaError(error)) return null;
    const seen = (this.transientFailures.get(positionOf(record)) ?? 0) + 1;
    this.transientFailures.set(positionOf(record), seen);
    return seen > MAX_TRANSIENT_KAFKA_FAILURES ? null : { dependency: 'kafka', message: errorMessage(error) };
  }

  /** One try of a chunk: its outputs, then their commit. Never throws. */
  private async attempt(chunk: IncomingRecord[]): Promise<Attempt> {
    try {
      await this.commit([chunk], await this.outputsOf(chunk));
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Every output of a chunk: the handler's, and a dead letter for each record it failed on. */
  private async outputsOf(chunk: IncomingRecord[]): Promise<OutgoingRecord[]> {
    const timeoutMs = this.options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const results = await withDeadline(this.options.handleChunk(chunk), timeoutMs, () => {
      return new JournalwireError(
        'timeout',
        `${chunk.length} record(s) from ${positionOf(chunk[0]!)} took longer than ${timeoutMs} ms`,
        { retryable: true, details: { attemptTimeoutMs: timeoutMs } },
      );
    });
    if (results.length !== chunk.length)
      throw new Error(`chunk handler returned ${results.length} results for ${chunk.length} records`);
    // A record's error may only be a symptom of an outage (the blob directory unmounted makes every
    // blob "missing"): then the chunk fails and waits instead of dead-lettering good records.
    if (results.some((result) => 'error' in result)) {
      const outage = await this.findOutage();
      if (outage)
        throw new JournalwireError('internal', `${outage.dependency}: ${outage.message}`, { retryable: true });
    }
    const outputs: OutgoingRecord[] = [];
    for (const [i, record] of chunk.entries()) {
      const result = results[i]!;
      if ('outputs' in result) {
        outputs.push(...result.outputs);
        continue;
      }
      this.logger.warn({ ...sourceOf(record), err: result.error }, 'record cannot be processed; dead-lettering it');
      outputs.push(...(await this.options.onError(record, result.error, 1)));
    }
    return outputs;
  }

  /** The chunks' outputs and their input offsets (one per partition) in one transaction. */
  private async commit(chunks: IncomingRecord[][], outputs: OutgoingRecord[]): Promise<void> {
    const lasts = chunks.flatMap((chunk) => (chunk.length > 0 ? [chunk[chunk.length - 1]!] : []));
    if (lasts.length === 0) return;
    const producer = await this.ensureProducer();
    const transaction = await producer.transaction();
    try {
      await transaction.send(outputs);
      // One offset per chunk: the position after its last record. After the outputs, not beside
      // them: sent side by side, a 20,000-report bench ran 1,043 transactions instead of 213, at a
      // third of the rate (ADR 0004).
      await transaction.sendOffsets(lasts);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // A failed transaction can leave the producer in a state it does not recover from: the next
      // try starts a fresh one (same transactional id: its InitProducerId aborts what was left open).
      await this.dropProducer();
      throw error;
    }
    this.options.onCommitted?.(chunks.flat(), outputs);
  }

  private async ensureProducer(): Promise<ReliableProducer> {
    this.producer ??= await this.kafka.createProducer({ transactionalId: this.options.transactionalId });
    return this.producer;
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  /** The first unreachable dependency (Kafka first), or null when all answer. */
  private async findOutage(context?: Liveness): Promise<Outage | null> {
    if (context && !context.live()) throw new Abandoned();
    const dependencies: Dependency[] = [
      { name: 'kafka', check: () => this.kafka.ping() },
      ...(this.options.dependencies ?? []),
    ];
    for (const dependency of dependencies) {
      try {
        await withDeadline(dependency.check(), 5000, () => new Error(`no answer within 5000 ms`));
      } catch (error) {
        return { dependency: dependency.name, message: errorMessage(error) };
      }
    }
    return null;
  }

  private async waitOut(outage: Outage, wait: number, context: Liveness): Promise<void> {
    if (this.state.waiting(outage))
      this.logger.warn({ dependency: outage.dependency, reason: outage.message }, `waiting for ${outage.dependency}`);
    await this.pause(Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.min(wait, 5)), context);
  }

  private resumed(): void {
    const previous = this.state.resumed();
    if (previous)
      this.logger.info(
        { dependency: previous.dependency, since: previous.since },
        `${previous.dependency} answers again`,
      );
  }

  /** Sleeps, waking early when the group moves on or the processor stops. */
  private async pause(ms: number, context: Liveness): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!context.live()) throw new Abandoned();
      await sleep(Math.max(0, Math.min(250, until - Date.now())));
    }
    if (!context.live()) throw new Abandoned();
  }

  private async restart(): Promise<void> {
    await this.consumer?.stop().catch(() => undefined);
    await this.dropProducer();
    await sleep(1000);
    if (!this.stopping) await this.runUntilStopped();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.stop();
    await this.dropProducer();
  }
}

function crashedError(crashes: number): JournalwireError {
  return new JournalwireError(
    'processing-crashed',
    `handling this record ended its process ${crashes} time(s) (a crash, an out-of-memory kill or a hang); it is dead-lettered without being handled again`,
    { details: { crashes } },
  );
}

function positionOf(record: IncomingRecord): string {
  return `${record.topic}/${record.partition}/${record.offset}`;
}

function sourceOf(record: IncomingRecord): { topic: string; partition: number; offset: string } {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}

/** A Kafka error the client deems retriable, and not a refusal of the record itself. */
function transientKafkaError(error: unknown): boolean {
  if (kafkaErrorTypes(error).some((type) => RECORD_REFUSALS.has(type))) return false;
  return retriableKafkaError(error);
}

/** The processor's own deadline on a try (see `outputsOf`), not a timeout the handler met. */
function attemptTimeout(error: unknown): boolean {
  return isJournalwireError(error, 'timeout') && error.details.attemptTimeoutMs !== undefined;
}

function coordinationError(error: unknown): boolean {
  return kafkaErrorTypes(error).some((type) => COORDINATION_ERRORS.has(type));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
