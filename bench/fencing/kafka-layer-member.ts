import { KafkaGateway, type IncomingRecord, type ProducerTransaction, type ReliableProducer } from '#kafka';
import { createLogger } from '#logger';
import type { InputRecord, MemberOptions, TransactionalMember } from './member.js';

// @platformatic/kafka through libs/kafka, as the services use it: a KafkaGateway built from the
// same connection settings (brokers, TLS, SASL from KAFKA_*), its idempotent transactional
// producer (acks=all, 30 s transaction timeout) and its read-committed GroupConsumer (no
// auto-commit, 15 s session, 3 s heartbeat, 30 s rebalance timeouts). Offsets go into the
// transaction with ProducerTransaction.sendOffsets, which carries the group generation (KIP-447).

/** Records buffered ahead of `next` before the member stops taking batches. */
const MAX_BUFFERED = 1000;

export async function kafkaLayerMember(options: MemberOptions): Promise<TransactionalMember> {
  const logger = createLogger({ service: options.clientId, level: 'warn', destination: process.stderr });
  const kafka = new KafkaGateway({ ...options.settings, clientId: options.clientId }, logger);
  const producer: ReliableProducer = await kafka.createProducer({ transactionalId: options.transactionalId });
  const buffered: IncomingRecord[] = [];
  let crashed: Error | undefined;
  let arrived: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const wake = () => {
    arrived?.();
    arrived = undefined;
  };
  const consumer = kafka.createGroupConsumer({
    groupId: options.groupId,
    topics: [options.input],
    fetchMinBytes: 1024 * 1024,
    // A batch counts as handled once buffered; positions move only with the transactions' offsets.
    eachBatch: async (batch) => {
      buffered.push(...batch.records);
      wake();
      while (buffered.length >= MAX_BUFFERED && batch.live()) await new Promise<void>((resolve) => (drained = resolve));
    },
    onCrash: (error) => {
      crashed = error;
      wake();
    },
  });
  await consumer.start();
  // The record each input came as: sendOffsets needs the one the GroupConsumer handed out.
  const records = new Map<string, IncomingRecord>();
  let transaction: ProducerTransaction | undefined;

  const member: TransactionalMember = {
    async next(max) {
      while (buffered.length === 0) {
        if (crashed) throw crashed;
        await new Promise<void>((resolve) => (arrived = resolve));
      }
      // Whatever else has arrived by the next turn of the event loop joins the chunk.
      await new Promise((resolve) => setImmediate(resolve));
      const chunk = buffered.splice(0, max);
      drained?.();
      records.clear();
      return chunk.map((record): InputRecord => {
        records.set(`${record.partition}:${record.offset}`, record);
        return { topic: record.topic, partition: record.partition, offset: record.offset, value: record.value! };
      });
    },
    async produce(outputs) {
      transaction = await producer.transaction();
      await transaction.send(outputs);
    },
    async commit(last) {
      const open = transaction;
      if (!open) throw new Error('no open transaction');
      const record = records.get(`${last.partition}:${last.offset}`);
      if (!record) throw new Error(`record ${last.partition}:${last.offset} was not read by this member`);
      await open.sendOffsets([record]);
      transaction = undefined;
      await open.commit();
    },
    async abort() {
      const open = transaction;
      transaction = undefined;
      await open?.abort().catch(() => undefined);
    },
    async close() {
      await member.abort();
      drained?.();
      await consumer.stop();
      await producer.disconnect().catch(() => undefined);
      await kafka.closeAdmin();
      logger.flush();
    },
  };
  return member;
}
