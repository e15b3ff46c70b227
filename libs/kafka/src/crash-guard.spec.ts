import { describe, expect, it } from 'vitest';
import { CrashGuard, type ChunkPlan, type ProcessingMark, type ProcessingMarks } from './crash-guard.js';
import type { IncomingRecord } from './records.js';

class MemoryMarks implements ProcessingMarks {
  mark: ProcessingMark | null = null;
  writes = 0;
  read(): Promise<ProcessingMark | null> {
    return Promise.resolve(this.mark);
  }
  write(_position: unknown, mark: ProcessingMark): Promise<void> {
    this.mark = mark;
    this.writes++;
    return Promise.resolve();
  }
}

function records(from: number, to: number): IncomingRecord[] {
  const list: IncomingRecord[] = [];
  for (let offset = from; offset <= to; offset++)
    list.push({
      topic: 't',
      partition: 0,
      offset: String(offset),
      key: null,
      value: null,
      headers: {},
      timestamp: '0',
    });
  return list;
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
      const plan = await guard.plan(records(committed, last), chunkSize);
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
    expect(offsetsOf(await guard.plan(records(0, 24), 10))).toHaveLength(10);
    expect(offsetsOf(await guard.plan(records(10, 24), 10))[0]).toBe('10');
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
    await guard.plan(records(0, 9), 10);
    expect(offsetsOf(await guard.plan(records(0, 9), 10))).toHaveLength(10);
    expect(marks.mark?.starts).toBe(1);
  });

  it('stops a chunk before the range another process died on', async () => {
    const marks = new MemoryMarks();
    marks.mark = { first: '5', last: '9', starts: 1, owner: 'gone' };
    const guard = new CrashGuard(marks, 'g', 3);
    expect(offsetsOf(await guard.plan(records(0, 20), 10))).toEqual(['0', '1', '2', '3', '4']);
    expect(offsetsOf(await guard.plan(records(5, 20), 10))).toEqual(['5']);
    expect(marks.mark).toMatchObject({ first: '5', last: '9', starts: 2 });
    for (let offset = 6; offset <= 9; offset++)
      expect(offsetsOf(await guard.plan(records(offset, 20), 10))).toEqual([String(offset)]);
    expect(offsetsOf(await guard.plan(records(10, 20), 10))).toHaveLength(10);
  });
});
