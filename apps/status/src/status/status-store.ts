import { randomUUID } from 'node:crypto';
import { REDIS } from '#platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APPLY_SCRIPT } from './apply-script.js';
import type { StatusOp } from './record-ops.js';
import { STATUS_KEYS } from './status.keys.js';
import { parseStoredState, type StoredState } from './status-view.js';

export type ApplyResult = { reset: true } | { reset: false; lastApplied: string; touched: string[] };

interface ApplyCommand {
  jwStatusApply(
    epochKey: string,
    offsetsKey: string,
    epoch: string,
    partitionKey: string,
    prefix: string,
    records: string,
  ): Promise<string[]>;
}

/** The aggregator's state in Redis (see status.keys.ts for the layout). */
@Injectable()
export class StatusStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {
    if (!('jwStatusApply' in redis)) redis.defineCommand('jwStatusApply', { numberOfKeys: 2, lua: APPLY_SCRIPT });
  }

  /** Applies records of one partition unless already applied; refuses under another epoch. */
  async apply(
    epoch: string,
    topic: string,
    partition: number,
    records: Array<[offset: string, ops: StatusOp[]]>,
  ): Promise<ApplyResult> {
    const reply = await (this.redis as unknown as ApplyCommand).jwStatusApply(
      STATUS_KEYS.epoch,
      STATUS_KEYS.offsets,
      epoch,
      `${topic}:${partition}`,
      STATUS_KEYS.connectorPrefix,
      JSON.stringify(records),
    );
    if (reply[0] === 'reset') return { reset: true };
    return { reset: false, lastApplied: reply[0]!, touched: reply.slice(1) };
  }

  /** The current epoch marker, created if Redis has none. `created` tells a fresh state. */
  async ensureEpoch(): Promise<{ epoch: string; created: boolean }> {
    const candidate = `${new Date().toISOString()}/${randomUUID()}`;
    const created = (await this.redis.set(STATUS_KEYS.epoch, candidate, 'NX')) === 'OK';
    const epoch = created ? candidate : await this.redis.get(STATUS_KEYS.epoch);
    return epoch ? { epoch, created } : this.ensureEpoch();
  }

  async currentEpoch(): Promise<string | null> {
    return this.redis.get(STATUS_KEYS.epoch);
  }

  /** The Kafka cluster the counters were built from (null before the first start). */
  async clusterId(): Promise<string | null> {
    return this.redis.get(STATUS_KEYS.cluster);
  }

  async setClusterId(clusterId: string): Promise<void> {
    await this.redis.set(STATUS_KEYS.cluster, clusterId);
  }

  /** Last applied offset per `<topic>:<partition>`. */
  async appliedOffsets(): Promise<Map<string, bigint>> {
    const hash = await this.redis.hgetall(STATUS_KEYS.offsets);
    return new Map(Object.entries(hash).map(([key, offset]) => [key, BigInt(offset)]));
  }

  /** Removes applied offsets (`<topic>:<partition>`) of topics no longer read. */
  async forgetOffsets(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.hdel(STATUS_KEYS.offsets, ...keys);
  }

  async read(connectorIds: string[]): Promise<Map<string, StoredState>> {
    const states = new Map<string, StoredState>();
    if (connectorIds.length === 0) return states;
    const pipeline = this.redis.pipeline();
    for (const id of connectorIds) pipeline.hgetall(STATUS_KEYS.connector(id));
    const replies = (await pipeline.exec()) ?? [];
    connectorIds.forEach((id, index) => {
      const [error, hash] = replies[index] ?? [null, {}];
      if (error) throw error;
      states.set(id, parseStoredState((hash ?? {}) as Record<string, string>));
    });
    return states;
  }

  /** Hides the connector's errors up to `at` (a suspension resets error conditions). */
  async resetErrors(connectorId: string, at: Date): Promise<void> {
    await this.raiseErrorsResetAt([[connectorId, at]]);
  }

  async raiseErrorsResetAt(entries: Array<[connectorId: string, at: Date]>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [connectorId, at] of entries) {
      // Keep the later of the stored and the given time.
      pipeline.eval(
        "local c = redis.call('HGET', KEYS[1], 'errorsResetAt'); if (not c) or c < ARGV[1] then redis.call('HSET', KEYS[1], 'errorsResetAt', ARGV[1]) end; return 1",
        1,
        STATUS_KEYS.connector(connectorId),
        at.toISOString(),
      );
    }
    await pipeline.exec();
  }

  /** Drops the whole aggregate (epoch, offsets, every connector's counters): the next start rebuilds. */
  async discard(): Promise<void> {
    const keys: string[] = [STATUS_KEYS.epoch, STATUS_KEYS.offsets, STATUS_KEYS.cluster];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${STATUS_KEYS.connectorPrefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    await this.redis.del(...keys);
  }

  async forget(connectorId: string): Promise<void> {
    await this.redis.del(STATUS_KEYS.connector(connectorId));
  }

  async publish(message: unknown): Promise<void> {
    await this.redis.publish(STATUS_KEYS.changesChannel, JSON.stringify(message));
  }
}
