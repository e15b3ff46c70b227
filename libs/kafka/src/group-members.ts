import { AssignerProtocol } from 'kafkajs';
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
  return kafka.withAdmin(async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group) return { state: 'Dead', members: [] };
    return {
      state: group.state,
      members: group.members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        host: member.clientHost,
        assignment:
          member.memberAssignment.length === 0
            ? {}
            : (AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {}),
      })),
    };
  });
}
