import type { Redis } from 'ioredis';
import type { ProtocolLogEntry } from '#contracts';
import { PROTOCOL_LOG_LIMITS } from './protocol-trace-recorder.js';

/** `jw:protocol-log:<connector id>`: a Redis list of JSON entries, newest first, capped. */
export function protocolLogKey(connectorId: string): string {
  return `jw:protocol-log:${connectorId}`;
}

/**
 * The per-connector protocol log of detailed logging. A capped Redis list: the push, the trim to
 * the last sessions and the expiry are one MULTI, so two writers (poller, status) never leave more
 * than the bound, and nothing needs pruning later.
 */
export class ProtocolLogStore {
  constructor(
    private readonly redis: Redis,
    private readonly limits: { sessions: number; ttlSeconds: number } = PROTOCOL_LOG_LIMITS,
  ) {}

  async append(connectorId: string, entry: ProtocolLogEntry): Promise<void> {
    const key = protocolLogKey(connectorId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(entry))
      .ltrim(key, 0, this.limits.sessions - 1)
      .expire(key, this.limits.ttlSeconds)
      .exec();
  }

  /** The newest `limit` entries, newest first; entries that are not valid JSON are skipped. */
  async recent(connectorId: string, limit: number = this.limits.sessions): Promise<ProtocolLogEntry[]> {
    const values = await this.redis.lrange(protocolLogKey(connectorId), 0, Math.max(0, limit - 1));
    const entries: ProtocolLogEntry[] = [];
    for (const value of values) {
      try {
        entries.push(JSON.parse(value) as ProtocolLogEntry);
      } catch {
        // A value we did not write; never fail the read over it.
      }
    }
    return entries;
  }

  async clear(connectorId: string): Promise<void> {
    await this.redis.del(protocolLogKey(connectorId));
  }
}
