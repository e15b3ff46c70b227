/**
 * Every Kafka topic journalwire reads or writes. Created by `npm run topics`, never auto-created.
 * The topics that carry a message hold the message itself as the record value (docs/contracts.md).
 */
export const TOPICS = {
  raw: 'journal.raw.v2',
  classified: 'journal.classified.v2',
  archived: 'journal.archived.v2',
  rejected: 'journal.rejected.v2',
  dlq: 'journal.dlq.v2',
  status: 'journal.status.v1',
  /**
   * One small record (empty value, metadata in headers) per record written to journal.raw.v2 and
   * journal.archived.v2, in the same transaction: what the status service counts instead of bodies.
   */
  progress: 'journal.progress.v1',
} as const;

/**
 * The v1 topics the v2 ones replace (their values were JSON with base64 bodies). Nothing writes
 * them any more; they are listed for the migration note and for operators deleting them.
 */
export const RETIRED_TOPICS = [
  'journal.raw.v1',
  'journal.classified.v1',
  'journal.archived.v1',
  'journal.rejected.v1',
  'journal.dlq.v1',
] as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

/**
 * `max.message.bytes` of every data topic. Producers size each record against it before sending
 * (`KAFKA_MAX_MESSAGE_BYTES`, default this value): what would not fit goes to the claim-check store.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** Topic layout; partitions default to 6 so consumer groups can scale out. */
export function topicSpecs(partitions = 6): TopicSpec[] {
  const retained = {
    'cleanup.policy': 'delete',
    'retention.ms': String(7 * 24 * 3600 * 1000),
    'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES),
  };
  return [
    { name: TOPICS.raw, partitions, config: retained },
    { name: TOPICS.classified, partitions, config: retained },
    { name: TOPICS.archived, partitions, config: retained },
    { name: TOPICS.rejected, partitions, config: retained },
    { name: TOPICS.dlq, partitions, config: { ...retained, 'retention.ms': String(30 * 24 * 3600 * 1000) } },
    { name: TOPICS.progress, partitions, config: retained },
    { name: TOPICS.status, partitions: 1, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' } },
  ];
}

/** Consumer group ids, one per consuming service. */
export const CONSUMER_GROUPS = {
  envelope: 'journalwire-envelope',
  policy: 'journalwire-policy',
  status: 'journalwire-status',
} as const;
