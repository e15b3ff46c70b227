import { parentPort, workerData } from 'node:worker_threads';
import { kafkaErrorNames, outputsOf, type ClientName, type MemberOptions } from './member.js';
import { createMember, readRecords } from './members.js';

// Instance A of the fencing check, in a thread of its own: reads a chunk, sends its outputs in a
// transaction, then stalls with its whole event loop blocked (no heartbeat of any client can go
// out, as in a long GC pause or a frozen VM) until the main thread wakes it; then it tries to add
// the chunk's offsets and commit.

export interface ZombieData {
  client: ClientName;
  member: MemberOptions;
  output: string;
  chunk: number;
  /** Int32Array over a SharedArrayBuffer: index 0 turns 1 when A may wake. */
  wake: SharedArrayBuffer;
}

export type ZombieReport =
  | { stage: 'stalled'; read: number }
  | { stage: 'woke'; committed: true; ms: number }
  | { stage: 'woke'; committed: false; errors: string[]; message: string; ms: number }
  | { stage: 'failed'; message: string };

const data = workerData as ZombieData;
const report = (message: ZombieReport) => parentPort!.postMessage(message);

async function run(): Promise<void> {
  const member = await createMember(data.client, data.member);
  try {
    const records = await readRecords(member, data.chunk, 60_000);
    await member.produce(outputsOf(records, data.output));
    report({ stage: 'stalled', read: records.length });
    Atomics.wait(new Int32Array(data.wake), 0, 0);
    const woke = Date.now();
    try {
      await member.commit(records[records.length - 1]!);
      report({ stage: 'woke', committed: true, ms: Date.now() - woke });
    } catch (error) {
      const ms = Date.now() - woke;
      await member.abort();
      report({
        stage: 'woke',
        committed: false,
        errors: kafkaErrorNames(error),
        message: error instanceof Error ? error.message : String(error),
        ms,
      });
    }
  } finally {
    await member.close();
  }
}

run().catch((error: unknown) =>
  report({ stage: 'failed', message: error instanceof Error ? error.message : String(error) }),
);
