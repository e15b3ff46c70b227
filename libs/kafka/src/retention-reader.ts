import type { KafkaGateway } from './kafka-gateway.js';
import { readTopicsToEnd } from './topic-reader.js';

/** How long a topic may still hold a record: null when it never deletes by time. */
export interface TopicRetention {
  topic: string;
  /** retention.ms plus segment.ms (a segment goes only once its newest record expired); null: forever. */
  maxRecordAgeMs: number | null;
}

/** Each topic's effective time retention as the broker has it configured now. */
export async function topicRetention(kafka: KafkaGateway, topics: string[]): Promise<TopicRetention[]> {
  const described = await kafka.topicSettings(topics, ['retention.ms', 'segment.ms', 'cleanup.policy']);
  return described.map(({ topic, values }) => {
    const retention = Number(values.get('retention.ms') ?? -1);
    const deletes = (values.get('cleanup.policy') ?? 'delete').split(',').includes('delete');
    const segment = Number(values.get('segment.ms') ?? 7 * 24 * 3600 * 1000);
    return { topic, maxRecordAgeMs: deletes && retention >= 0 ? retention + segment : null };
  });
}

const CLAIM_CHECK_KEY = /"key":"([0-9a-f]{2}\/[0-9a-f]{64})"/g;
const MARKER = Buffer.from('"key":"');

/**
 * The claim-check keys ("ab/<sha256>") that the records now retained in `topics` reference.
 * Every claim check is JSON (`{"store":…,"key":…}`): a record's value (a message moved to the
 * store) or inside its metadata header (`overflow`); a key-like string inside a message only keeps
 * a blob longer, never shorter.
 */
export async function claimCheckKeysIn(kafka: KafkaGateway, topics: string[]): Promise<Set<string>> {
  const keys = new Set<string>();
  const scan = (bytes: Buffer) => {
    if (bytes.indexOf(MARKER) === -1) return;
    for (const match of bytes.toString('latin1').matchAll(CLAIM_CHECK_KEY)) keys.add(match[1]!);
  };
  await readTopicsToEnd(kafka, topics, (record) => {
    if (record.value) scan(record.value);
    for (const value of Object.values(record.headers ?? {})) {
      for (const item of Array.isArray(value) ? value : [value])
        if (item !== undefined) scan(Buffer.isBuffer(item) ? item : Buffer.from(String(item)));
    }
  });
  return keys;
}
