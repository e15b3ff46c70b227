import type { KafkaGateway } from './kafka-gateway.js';

/** Consumer lag per partition for a group: the end offset minus the committed offset. */
export async function consumerLag(
  kafka: KafkaGateway,
  groupId: string,
  topics: string[],
): Promise<Array<{ group: string; topic: string; partition: number; lag: number }>> {
  const committed = await kafka.committedOffsets(groupId, topics);
  const ends = new Map<string, bigint>();
  for (const topic of new Set(committed.map((c) => c.topic)))
    for (const { partition, high } of await kafka.topicOffsets(topic)) ends.set(`${topic}:${partition}`, BigInt(high));
  return committed.map(({ topic, partition, offset }) => {
    const end = ends.get(`${topic}:${partition}`) ?? 0n;
    const position = BigInt(offset) < 0n ? 0n : BigInt(offset);
    return { group: groupId, topic, partition, lag: Number(end > position ? end - position : 0n) };
  });
}
