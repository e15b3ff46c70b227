import { randomUUID } from 'node:crypto';
import { readTopicsToEnd, type KafkaGateway, type KafkaSettings } from '#kafka';
import { cpuSeconds, kafkaPid } from '../support/measure.js';
import { outputsOf, type ClientName } from './member.js';
import { createMember } from './members.js';

// A plain transactional consume-produce loop, the same for each client: read up to CHUNK records,
// send their copies to the output topic and commit them with the input offsets in one transaction,
// one transaction at a time. The CPU figures are this process (the client) and the broker.

const CHUNK = 100;

export interface LoopFigures {
  client: ClientName;
  messages: number;
  seconds: number;
  msgs_per_s: number;
  /** CPU of this process (the client) per message, in ms. */
  client_cpu_ms_per_msg: number;
  /** CPU of the broker per message, in ms. */
  broker_cpu_ms_per_msg: number;
  transactions: number;
  /** Output records a read-committed reader sees (should equal `messages`). */
  outputs_visible: number;
}

/** Writes the input once for every client's loop; returns the topic. */
export async function loopInput(kafka: KafkaGateway, values: Buffer[]): Promise<string> {
  const input = `journalwire.bench.fencing-loop-${Date.now()}-in`;
  await kafka.ensureTopics([{ name: input, partitions: 1, config: {} }]);
  const producer = await kafka.createProducer();
  await producer.send(values.map((value, i) => ({ topic: input, key: `in-${i}`, value })));
  await producer.disconnect();
  return input;
}

export async function consumeProduceLoop(
  kafka: KafkaGateway,
  client: ClientName,
  settings: KafkaSettings,
  input: string,
  messages: number,
): Promise<LoopFigures> {
  const run = `${client}-${Date.now()}-${randomUUID().slice(0, 6)}`;
  const output = `journalwire.bench.fencing-loop-${run}-out`;
  const groupId = `journalwire-bench-fencing-loop-${run}`;
  await kafka.ensureTopics([{ name: output, partitions: 1, config: {} }]);
  try {
    const member = await createMember(client, {
      settings,
      clientId: `bench-loop-${client}`,
      groupId,
      input,
      transactionalId: `${run}-loop`,
    });
    const broker = kafkaPid();
    const started = { at: process.hrtime.bigint(), cpu: process.cpuUsage(), broker: cpuSeconds(broker) };
    let done = 0;
    let transactions = 0;
    try {
      while (done < messages) {
        const chunk = await member.next(Math.min(CHUNK, messages - done));
        await member.produce(outputsOf(chunk, output));
        await member.commit(chunk[chunk.length - 1]!);
        done += chunk.length;
        transactions++;
      }
    } finally {
      await member.close();
    }
    const seconds = Number(process.hrtime.bigint() - started.at) / 1e9;
    const cpu = process.cpuUsage(started.cpu);
    const brokerSeconds = cpuSeconds(broker) - started.broker;
    let visible = 0;
    await readTopicsToEnd(kafka, [output], () => visible++);
    await kafka.deleteGroups([groupId]).catch(() => undefined);
    return {
      client,
      messages: done,
      seconds: Number(seconds.toFixed(2)),
      msgs_per_s: Math.round(done / seconds),
      client_cpu_ms_per_msg: Number(((cpu.user + cpu.system) / 1000 / done).toFixed(3)),
      broker_cpu_ms_per_msg: Number(((brokerSeconds * 1000) / done).toFixed(3)),
      transactions,
      outputs_visible: visible,
    };
  } finally {
    await kafka.deleteTopics([output]).catch(() => undefined);
  }
}
