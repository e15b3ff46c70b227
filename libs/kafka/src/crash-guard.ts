import { randomUUID } from 'node:crypto';
import type { IncomingRecord } from './records.js';

/** Where a processor of a group reads: one partition of one topic. */
export interface ProcessingPosition {
  groupId: string;
  topic: string;
  partition: number;
}

/**
 * The range a processor began to work on and has not yet moved past, kept outside the process
 * (PostgreSQL), so that the next owner of the partition can tell that work on it began before and
 * never finished: the process died (a crash, an out-of-memory kill, a hang ended by a liveness probe).
 */
export interface ProcessingMark {
  /** First offset of the range being worked on. */
  first: string;
  /** Last offset of the range (in careful mode, of the whole range still under suspicion). */
  last: string;
  /** How many times work began at `first` without moving past it, this time included. */
  starts: number;
  /** The process that wrote the mark: its own marks never count as crashes. */
  owner: string;
}

/** A mark to write, at its position. */
export interface PositionedMark {
  position: ProcessingPosition;
  mark: ProcessingMark;
}

export interface ProcessingMarks {
  read(position: ProcessingPosition): Promise<ProcessingMark | null>;
  /** Writes the marks of several partitions at once (one round trip). */
  write(marks: PositionedMark[]): Promise<void>;
}

/** What to do next with the records of a batch, from the first one not yet committed. */
export type ChunkPlan =
  | { kind: 'handle'; chunk: IncomingRecord[] }
  /** The record has ended its process `crashes` times: dead-letter it without handling it again. */
  | { kind: 'give-up'; record: IncomingRecord; crashes: number };

/** One partition's plan: its mark (none to give up), and the state to keep once the marks are written. */
interface LanePlan {
  plan: ChunkPlan;
  mark: PositionedMark | null;
  apply: () => void;
}

interface PartitionState {
  /** The mark found when this process took the partition (from another process), until passed. */
  inherited: ProcessingMark | null;
  /** Records up to this offset are handled one at a time: one of them ended a process. */
  carefulUntil: bigint | null;
  /** The offset after the last planned chunk: a batch that starts elsewhere was refetched. */
  next: bigint | null;
}

/**
 * Bounds how often one record may end its process. Before a chunk is handled its range is marked
 * (one write for all partitions of a transaction); a process that finds, on taking a partition, a
 * mark of another process at the offset it is about to start from knows that that process died on
 * the range. It then handles the range one record at a time, and a record begun alone more than
 * `maxCrashes` times without finishing is given up: dead-lettered without being handled again. A
 * crash loop therefore costs a bounded number of restarts, like any other failure, instead of
 * stopping the partition for good.
 */
export class CrashGuard {
  private readonly states = new Map<string, PartitionState>();
  /** Unique per process (and per processor within it). */
  readonly owner = randomUUID();

  constructor(
    private readonly marks: ProcessingMarks,
    private readonly groupId: string,
    private readonly maxCrashes: number,
  ) {}

  /**
   * Plans the next chunk of each of `lanes` (each one partition's records, in offset order, none
   * committed; a chunk is at most its lane) and marks them all in one write. Nothing is remembered
   * unless the write succeeds, so a failed plan can simply be tried again.
   */
  async plan(lanes: IncomingRecord[][]): Promise<ChunkPlan[]> {
    const planned: LanePlan[] = [];
    for (const records of lanes) planned.push(await this.planLane(records));
    const marks = planned.flatMap((lane) => (lane.mark ? [lane.mark] : []));
    if (marks.length > 0) await this.marks.write(marks);
    for (const lane of planned) lane.apply();
    return planned.map((lane) => lane.plan);
  }

  private async planLane(records: IncomingRecord[]): Promise<LanePlan> {
    const head = records[0]!;
    const position = { groupId: this.groupId, topic: head.topic, partition: head.partition };
    const state = await this.stateOf(position, BigInt(head.offset));
    const first = BigInt(head.offset);
    let starts = 1;
    let end = records.length;
    let inherited = state.inherited;
    let carefulUntil = state.carefulUntil;
    if (inherited) {
      const markedFirst = BigInt(inherited.first);
      if (first === markedFirst) {
        // Work began here before, in a process that is gone, and never moved past this offset.
        starts = inherited.starts + 1;
        carefulUntil = maxOf(carefulUntil, BigInt(inherited.last));
        inherited = null;
      } else if (first < markedFirst) {
        end = Math.min(end, countBefore(records, markedFirst));
      } else inherited = null;
    }
    const careful = carefulUntil !== null && first <= carefulUntil;
    if (careful) end = 1;
    const chunk = records.slice(0, end);
    const remember = (next: bigint) => () => {
      state.inherited = inherited;
      state.carefulUntil = carefulUntil;
      state.next = next;
    };
    if (careful && starts > this.maxCrashes)
      return { plan: { kind: 'give-up', record: head, crashes: starts - 1 }, mark: null, apply: remember(first + 1n) };
    const last = careful ? carefulUntil! : BigInt(chunk[chunk.length - 1]!.offset);
    return {
      plan: { kind: 'handle', chunk },
      mark: { position, mark: { first: head.offset, last: String(last), starts, owner: this.owner } },
      apply: remember(BigInt(chunk[chunk.length - 1]!.offset) + 1n),
    };
  }

  /** The partition's state; read from the marks when this process (re)starts reading it elsewhere than planned. */
  private async stateOf(position: ProcessingPosition, first: bigint): Promise<PartitionState> {
    const key = `${position.topic}/${position.partition}`;
    const known = this.states.get(key);
    if (known && known.next === first) return known;
    const mark = await this.marks.read(position);
    const state: PartitionState = {
      inherited: mark && mark.owner !== this.owner ? mark : null,
      carefulUntil: known?.carefulUntil ?? null,
      next: null,
    };
    this.states.set(key, state);
    return state;
  }
}

function countBefore(records: IncomingRecord[], offset: bigint): number {
  let count = 0;
  while (count < records.length && BigInt(records[count]!.offset) < offset) count++;
  return Math.max(count, 1);
}

function maxOf(a: bigint | null, b: bigint): bigint {
  return a === null || b > a ? b : a;
}
