import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import type { KafkaConnectionSettings } from '#config';
import { KafkaGateway, TransactionalProcessor, type IncomingRecord, type OutgoingRecord } from '#kafka';
import { createLogger } from '#logger';

// A TransactionalProcessor in a thread of its own that stalls in the middle of its first chunk
// with its whole event loop blocked (Atomics.wait): no heartbeat of its consumer can go out, as in
// a long GC pause or a frozen VM. The test (test/integration/kafka/fencing.test.ts) wakes it once
// another instance has taken the partition over; the chunk's transaction is then tried.

export interface StallingProcessorData {
  kafka: KafkaConnectionSettings;
  groupId: string;
  transactionalId: string;
  input: string;
  output: string;
  /** Int32Array over a SharedArrayBuffer: index 0 turns 1 when the processor may wake. */
  wake: SharedArrayBuffer;
}

export type StallingProcessorReport =
  | { event: 'stalled'; offsets: string[] }
  | { event: 'woke'; stalledMs: number }
  | { event: 'committed'; offsets: string[] }
  | { event: 'log'; line: string };

const data = workerData as StallingProcessorData;
const report = (message: StallingProcessorReport) => parentPort!.postMessage(message);

// Its log lines go to the test, which reads how the commit was refused.
const logger = createLogger({
  service: 'stalling-processor',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) report({ event: 'log', line });
      done();
    },
  }),
});
const wake = new Int32Array(data.wake);
let stalled = false;

const processor = new TransactionalProcessor(new KafkaGateway(data.kafka, logger), logger, {
  groupId: data.groupId,
  topics: [data.input],
  transactionalId: data.transactionalId,
  chunkSize: 100,
  fromBeginning: true,
  handleChunk: async (records: IncomingRecord[]) => {
    const results = records.map((record) => ({ outputs: [outputOf(record, 'A')] }));
    if (!stalled) {
      stalled = true;
      report({ event: 'stalled', offsets: records.map((r) => r.offset) });
      const started = Date.now();
      Atomics.wait(wake, 0, 0);
      report({ event: 'woke', stalledMs: Date.now() - started });
    }
    return results;
  },
  onError: async () => [],
  onCommitted: (records) => report({ event: 'committed', offsets: records.map((r) => r.offset) }),
});
processor.start();

parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') void processor.stop().finally(() => process.exit(0));
});

/** The output of an input record: keyed by its position, the value names the instance that wrote it. */
function outputOf(record: IncomingRecord, instance: string): OutgoingRecord {
  return {
    topic: data.output,
    key: `${record.partition}:${record.offset}`,
    value: Buffer.from(`${instance}:${record.value?.toString('utf8') ?? ''}`),
  };
}
