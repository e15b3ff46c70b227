import { describe, expect, it } from 'vitest';
import {
  CrashGuard,
  type ChunkPlan,
  type PositionedMark,
  type ProcessingMark,
  type ProcessingMarks,
  type ProcessingPosition,
} from './crash-guard.js';
import type { IncomingRecord } from './records.js';

class MemoryMarks implements ProcessingMarks {
  readonly byPartition = new Map<number, ProcessingMark>();
  writes = 0;
  failNextWrite = false;
  /** Partition 0's mark. */
  get mark(): ProcessingMark | null {
    return this.byPartition.get(0) ?? null;
  }
  set mark(mark: ProcessingMark) {
    this.byPartition.set(0, mark);
  }
  read(position: ProcessingPosition): Promise<ProcessingMark | null> {
    return Promise.resolve(this.byPartition.get(position.partition) ?? null);
  }
  write(marks: PositionedMark[]): Promise<void> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      return Promise.reject(new Error('database gone'));
    }
    for (const { position, mark } of marks) this.byPartition.set(position.partition, mark);
    this.writes++;
    return Promise.resolve();
  }
}

function records(from: number, to: number, partition = 0): IncomingRecord[] {
  const list: IncomingRecord[] = [];
  for (let offset = from; offset <= to; offset++)
    list.push({
      topic: 't',
      partition,
      offset: String(offset),
      key: null,
      value: null,
      headers: {},
      timestamp: '0',
    });
  return list;
}

/** Plans one partition's next chunk of at most `size` of the records `from`..`to`. */
async function planOne(guard: CrashGuard, from: number, to: number, size = 10): Promise<ChunkPlan> {
  const [plan] = await guard.plan([records(from, Math.min(to, from + size - 1))]);
  return plan!;
}

function offsetsOf(plan: ChunkPlan): string[] {
  return plan.kind === 'handle' ? plan.chunk.map((record) => record.offset) : [`give-up ${plan.record.offset}`];
}

/**
 * Drives processes over one partition of records 0..last until every record is committed.
 * `poison` ends the process whenever it is handled; returns what happened, in order.
 */
async function runUntilDone(last: number, poison: number, chunkSize = 10): Promise<string[]> {
  const marks = new MemoryMarks();
  const events: string[] = [];
  let committed = 0;
  for (let processes = 0; committed <= last && processes < 20; processes++) {
    const guard = new CrashGuard(marks, 'g', 3);
    let crashed = false;
    while (committed <= last && !crashed) {
      const plan = await planOne(guard, committed, last, chunkSize);
      if (plan.kind === 'give-up') {
        events.push(`dead-letter ${plan.record.offset} after ${plan.crashes} crashes`);
        committed++;
        continue;
      }
      const offsets = plan.chunk.map((record) => Number(record.offset));
      if (offsets.includes(poison)) {
        events.push(`crash in ${offsets[0]}-${offsets.at(-1)}`);
        crashed = true;
      } else committed = offsets.at(-1)! + 1;
    }
  }
  events.push(`committed up to ${committed - 1}`);
  return events;
}

describe('CrashGuard', () => {
  it('marks each chunk and plans whole chunks while nothing has crashed', async () => {
    const marks = new MemoryMarks();
    const guard = new CrashGuard(marks, 'g', 3);
    expect(offsetsOf(await planOne(guard, 0, 24))).toHaveLength(10);
    expect(offsetsOf(await planOne(guard, 10, 24))[0]).toBe('10');
    expect(marks.writes).toBe(2);
    expect(marks.mark).toMatchObject({ first: '10', last: '19', starts: 1, owner: guard.owner });
  });

  it.each([
    {
      poison: 0,
      events: ['crash in 0-9', 'crash in 0-0', 'crash in 0-0', 'dead-letter 0 after 3 crashes'],
    },
    {
      // Found one record at a time inside its chunk; its neighbours are committed unharmed.
      poison: 13,
      events: [
        'crash in 10-19',
        'crash in 13-13',
        'crash in 13-13',
        'crash in 13-13',
        'dead-letter 13 after 3 crashes',
      ],
    },
  ])(
    'dead-letters record $poison, which ends its process, after three crashes and moves on',
    async ({ poison, events }) => {
      expect(await runUntilDone(24, poison)).toEqual([...events, 'committed up to 24']);
    },
  );

  it('does not count its own marks as crashes (a batch fetched again after a rebalance)', async () => {
    const marks = new MemoryMarks();
    const guard = new CrashGuard(marks, 'g', 3);
    await planOne(guard, 0, 9);
    expect(offsetsOf(await planOne(guard, 0, 9))).toHaveLength(10);
    expect(marks.mark?.starts).toBe(1);
  });

  it('stops a chunk before the range another process died on', async () => {
    const marks = new MemoryMarks();
    marks.mark = { first: '5', last: '9', starts: 1, owner: 'gone' };
    const guard = new CrashGuard(marks, 'g', 3);
    expect(offsetsOf(await planOne(guard, 0, 20))).toEqual(['0', '1', '2', '3', '4']);
    expect(offsetsOf(await planOne(guard, 5, 20))).toEqual(['5']);
    expect(marks.mark).toMatchObject({ first: '5', last: '9', starts: 2 });
    for (let offset = 6; offset <= 9; offset++)
      expect(offsetsOf(await planOne(guard, offset, 20))).toEqual([String(offset)]);
    expect(offsetsOf(await planOne(guard, 10, 20))).toHaveLength(10);
  });

  it('marks the chunks of several partitions in one write', async () => {
    const marks = new MemoryMarks();
    const guard = new CrashGuard(marks, 'g', 3);
    const plans = await guard.plan([records(0, 4, 0), records(7, 9, 1), records(3, 3, 2)]);
    expect(plans.map(offsetsOf)).toEqual([['0', '1', '2', '3', '4'], ['7', '8', '9'], ['3']]);
    expect(marks.writes).toBe(1);
    expect([...marks.byPartition.entries()].map(([partition, mark]) => [partition, mark.first, mark.last])).toEqual([
      [0, '0', '4'],
      [1, '7', '9'],
      [2, '3', '3'],
    ]);
  });

  it('remembers nothing of a plan whose marks could not be written: trying again plans the same', async () => {
    const marks = new MemoryMarks();
    marks.mark = { first: '5', last: '9', starts: 1, owner: 'gone' };
    const guard = new CrashGuard(marks, 'g', 3);
    marks.failNextWrite = true;
    await expect(guard.plan([records(5, 14)])).rejects.toThrow('database gone');
    expect(offsetsOf((await guard.plan([records(5, 14)]))[0]!)).toEqual(['5']);
    expect(marks.mark).toMatchObject({ first: '5', last: '9', starts: 2, owner: guard.owner });
  });
});
