import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { toProduceRequests } from '#kafka';
import type { InputRecord, MemberOptions, TransactionalMember } from './member.js';

// @platformatic/kafka with libs/kafka's settings, written against the bare client: idempotent
// transactional producer with acks=all, read-committed consumer without auto-commit, the same
// session (15 s), heartbeat (3 s) and rebalance (30 s) timeouts. Its `timeout` is also the
// transaction timeout it asks for (default 5 s): 30 s, as libs/kafka sets it.

const TIMEOUT_MS = 30_000;

/** Not exported by name from the package. */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

export async function platformaticMember(options: MemberOptions): Promise<TransactionalMember> {
  const producer = new Producer({
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    idempotent: true,
    transactionalId: options.transactionalId,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    timeout: TIMEOUT_MS,
  });
  const consumer = new Consumer({
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    groupId: options.groupId,
    autocommit: false,
    sessionTimeout: 15_000,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 30_000,
    timeout: TIMEOUT_MS,
  });
  const stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> = await consumer.consume({
    topics: [options.input],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    autocommit: false,
    minBytes: 1024 * 1024,
    maxWaitTime: 100,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  const buffered: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
  let arrived: (() => void) | undefined;
  stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
    buffered.push(message);
    if (buffered.length >= 1000) stream.pause();
    arrived?.();
  });
  // The message each input record came as: its metadata (group, generation, member) goes with the offset.
  const messages = new Map<string, Message<Buffer, Buffer, Buffer, Buffer>>();
  let transaction: Transaction | undefined;

  const member: TransactionalMember = {
    async next(max) {
      while (buffered.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
      // Whatever else has arrived by the next turn of the event loop joins the chunk.
      await new Promise((resolve) => setImmediate(resolve));
      const chunk = buffered.splice(0, max);
      if (stream.isPaused() && buffered.length < 1000) stream.resume();
      messages.clear();
      return chunk.map((message): InputRecord => {
        const record = {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset.toString(),
          value: message.value,
        };
        messages.set(`${record.partition}:${record.offset}`, message);
        return record;
      });
    },
    async produce(outputs) {
      const open = await producer.beginTransaction();
      transaction = open;
      // The same requests as libs/kafka's (under 1 MiB each: the broker's limit per record batch).
      for (const request of toProduceRequests(outputs))
        await open.send({
          messages: request.topicMessages.flatMap(({ topic, messages }) =>
            messages.map((m) => ({
              topic,
              key: Buffer.from(m.key),
              value: m.value,
              // Header names are serialized like values: Buffers (a string name fails in encoding).
              headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
            })),
          ),
        });
    },
    async commit(last) {
      const open = transaction;
      if (!open) throw new Error('no open transaction');
      const message = messages.get(`${last.partition}:${last.offset}`);
      if (!message) throw new Error(`record ${last.partition}:${last.offset} was not read by this member`);
      await open.addConsumer(consumer);
      await open.addOffset(message);
      await open.commit();
      transaction = undefined;
    },
    async abort() {
      const open = transaction;
      transaction = undefined;
      if (open && !open.completed) await open.abort().catch(() => undefined);
    },
    async close() {
      await member.abort();
      await stream.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
      await producer.close().catch(() => undefined);
    },
  };
  return member;
}
