// A processor in a process of its own, for the crash-loop test (test/integration/kafka/crash-loop.test.ts):
// it copies each input record to CRASH_OUT, dead-letters to CRASH_DLQ, and is killed (SIGKILL, no
// shutdown of any kind) whenever it handles a record whose value is `poison`. It exits 0 once
// the record at CRASH_LAST_OFFSET is committed.
import { KafkaGateway, TransactionalProcessor, eachRecord } from '#kafka';
import { createLogger } from '#logger';
import { createDataSource, PostgresProcessingMarks } from '#persistence';
import { testEnv, testKafka } from './env.js';

const { CRASH_IN = '', CRASH_OUT = '', CRASH_DLQ = '', CRASH_GROUP = '', CRASH_LAST_OFFSET = '' } = process.env;
const logger = createLogger({ service: 'crash-loop-worker', level: 'fatal' });
const kafka = new KafkaGateway(testKafka('crash-loop-worker'), logger);
const dataSource = createDataSource(testEnv.databaseUrl, { poolSize: 2 });
await dataSource.initialize();

const processor = new TransactionalProcessor(kafka, logger, {
  groupId: CRASH_GROUP,
  topics: [CRASH_IN],
  transactionalId: CRASH_GROUP,
  chunkSize: 10,
  marks: new PostgresProcessingMarks(dataSource),
  maxCrashes: 3,
  handleChunk: eachRecord(async (record) => {
    if (record.value?.toString() === 'poison') process.kill(process.pid, 'SIGKILL');
    return [{ topic: CRASH_OUT, key: record.offset, value: record.value! }];
  }),
  onError: async (record, error) => [
    {
      topic: CRASH_DLQ,
      key: record.offset,
      value: Buffer.from(error instanceof Error ? error.message : String(error)),
    },
  ],
  onCommitted: (records) => {
    if (records.some((record) => record.offset === CRASH_LAST_OFFSET))
      void processor
        .stop()
        .then(() => dataSource.destroy())
        .then(() => process.exit(0));
  },
});
processor.start();
