import type { ClientName, MemberOptions, TransactionalMember } from './member.js';
import { kafkaLayerMember } from './kafka-layer-member.js';

/** A transactional group member of the named client. */
export function createMember(_client: ClientName, options: MemberOptions): Promise<TransactionalMember> {
  return kafkaLayerMember(options);
}

/** Reads from `member` until `count` records came (or `timeoutMs` passed: then throws). */
export async function readRecords(
  member: TransactionalMember,
  count: number,
  timeoutMs: number,
): ReturnType<TransactionalMember['next']> {
  const records: Awaited<ReturnType<TransactionalMember['next']>> = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${records.length} of ${count} records within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (records.length < count)
      records.push(...(await Promise.race([member.next(count - records.length), timeout])));
    return records;
  } finally {
    clearTimeout(timer);
  }
}
