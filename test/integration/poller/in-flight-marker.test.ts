import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollerInFlightKey } from '#contracts';
import { testEnv } from '#test-support';
import { RedisInFlightStore, type InFlightMarker } from '../../../apps/poller/src/in-flight.js';

const marker = (token: string, instanceId: string): InFlightMarker => ({
  token,
  instanceId,
  at: Date.now(),
  entries: [{ uidl: `${token}-uidl`, sha256: 'a'.repeat(64), size: 10 }],
});

describe('poller: the in-flight marker in Redis', () => {
  let redis: Redis;
  let store: RedisInFlightStore;
  const connectorId = `marker-test-${process.pid}-${Date.now()}`;

  beforeAll(() => {
    redis = new Redis(testEnv.redisUrl, { maxRetriesPerRequest: 3 });
    store = new RedisInFlightStore(redis);
  });

  afterAll(async () => {
    await redis.del(pollerInFlightKey(connectorId));
    await redis.quit();
  });

  it('is deleted only by its writer: a poller that lost its lease leaves the new holder’s marker alone', async () => {
    const old = marker('old-session', 'poller-a');
    await store.set(connectorId, old);
    // poller-a stalls; its lease expires and poller-b's session writes its own marker.
    const current = marker('new-session', 'poller-b');
    await store.set(connectorId, current);

    expect(await store.clear(connectorId, old)).toBe(false);
    expect(await store.get(connectorId)).toEqual(current);

    expect(await store.clear(connectorId, current)).toBe(true);
    expect(await store.get(connectorId)).toBeNull();
    expect(await store.clear(connectorId, current)).toBe(false);
  });

  it('treats a marker written before tokens existed as token "" and an unreadable value as not ours', async () => {
    await redis.set(pollerInFlightKey(connectorId), JSON.stringify({ instanceId: 'older', at: 1, entries: [] }));
    const legacy = await store.get(connectorId);
    expect(legacy?.token).toBe('');
    expect(await store.clear(connectorId, { token: 'someone-else' })).toBe(false);
    expect(await store.clear(connectorId, legacy!)).toBe(true);

    await redis.set(pollerInFlightKey(connectorId), 'not json');
    expect(await store.clear(connectorId, { token: '' })).toBe(false);
    expect(await redis.get(pollerInFlightKey(connectorId))).toBe('not json');
  });
});
