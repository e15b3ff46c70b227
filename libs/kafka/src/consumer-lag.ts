import type { KafkaGateway } from './kafka-gateway.js';

/** Consumer lag per partition for a group: the end offset minus the committed offset. */
export async function consumerLag(
  kafka: KafkaGateway,
  groupId: string,
  topics: string[],
): Promise<Array<{ group: string; topic: string; partition: number; lag: number }>> {
  return kafka.withAdmin(async (admin) => {
    const committed = await admin.fetchOffsets({ groupId, topics });
    const out: Array<{ group: string; topic: string; partition: number; lag: number }> = [];
    for (const { topic, partitions } of committed) {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
      for (const { partition, offset } of partitions) {
        const end = ends.get(partition) ?? 0n;
        const position = BigInt(offset) < 0n ? 0n : BigInt(offset);
        out.push({ group: groupId, topic, partition, lag: Number(end > position ? end - position : 0n) });
      }
    }
    return out;
  });
}
