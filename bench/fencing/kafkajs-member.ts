import { KafkaGateway, type ProducerTransaction } from '#kafka';
import { createLogger } from '#logger';
import type { InputRecord, MemberOptions, TransactionalMember } from './member.js';

// kafkajs as libs/kafka uses it: the gateway's consumer (read-committed, batching, the services'
// session and rebalance timeouts) and transactional producer, and the transaction the processor
// uses (requests under 1 MiB, sendOffsets with the group id and the CONCURRENT_TRANSACTIONS retry).

/** Hands a batch from kafkajs's eachBatch to `next()`; the batch is done once every record was taken. */
interface PendingBatch {
  records: InputRecord[];
  taken: number;
  done: () => void;
}

export async function kafkajsMember(options: MemberOptions): Promise<TransactionalMember> {
  const logger = createLogger({
    service: `bench-fencing-${options.clientId}`,
    level: 'warn',
    destination: process.stderr,
  });
  const gateway = new KafkaGateway({ brokers: options.brokers, clientId: options.clientId }, logger);
  const producer = await gateway.createProducer({ transactionalId: options.transactionalId });
  const consumer = gateway.createConsumer(options.groupId, { readCommitted: true, batching: true });
  const batches: PendingBatch[] = [];
  let arrived: (() => void) | undefined;
  let closing = false;
  await consumer.connect();
  await consumer.subscribe({ topics: [options.input], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (closing || batch.messages.length === 0) return;
      const records = batch.messages.map((m) => ({
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        value: m.value ?? Buffer.alloc(0),
      }));
      await new Promise<void>((done) => {
        batches.push({ records, taken: 0, done });
        arrived?.();
      });
      // Fetching goes on after what was handed out (the transactions commit the group's offsets).
      resolveOffset(records[records.length - 1]!.offset);
    },
  });

  let transaction: ProducerTransaction | undefined;
  const member: TransactionalMember = {
    async next(max) {
      while (batches.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
      const batch = batches[0]!;
      const chunk = batch.records.slice(batch.taken, batch.taken + max);
      batch.taken += chunk.length;
      if (batch.taken >= batch.records.length) {
        batches.shift();
        batch.done();
      }
      return chunk;
    },
    async produce(outputs) {
      transaction = await producer.transaction();
      await transaction.send(outputs);
    },
    async commit(last) {
      const open = transaction;
      if (!open) throw new Error('no open transaction');
      await open.sendOffsets({
        groupId: options.groupId,
        topic: last.topic,
        partition: last.partition,
        lastOffset: last.offset,
      });
      await open.commit();
      transaction = undefined;
    },
    async abort() {
      await transaction?.abort().catch(() => undefined);
      transaction = undefined;
    },
    async close() {
      closing = true;
      for (const batch of batches.splice(0)) batch.done();
      await member.abort();
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await gateway.closeAdmin();
      logger.flush();
    },
  };
  return member;
}
