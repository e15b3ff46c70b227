import type { KafkaGateway } from './kafka-gateway.js';

/** One member of a consumer group and the partitions it was assigned, per topic. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: Record<string, number[]>;
}

/** A consumer group's state (`Stable` once a rebalance is done) and its members' assignments. */
export async function describeGroup(
  kafka: KafkaGateway,
  groupId: string,
): Promise<{ state: string; members: GroupMember[] }> {
  return kafka.describeGroup(groupId);
}
