import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '#logger';
import { testEnv } from '#test-support';
import { StatusChanges } from '../../../apps/status/src/status/status-changes.js';
import { STATUS_KEYS } from '../../../apps/status/src/status/status.keys.js';
import type { ConnectorStatusView } from '../../../apps/status/src/status/status-view.js';

const run = promisify(execFile);
const STACK_SH = resolve('deploy/local/stack.sh');
/** Only this helper's private Redis: stack.sh never stops the shared one on 6379. */
const redisOf = (action: 'stop' | 'start') => run(STACK_SH, [action, 'redis'], { timeout: 60_000 });

describe('status: the change stream after a Redis failure', () => {
  const clients: Redis[] = [];
  const streams: StatusChanges[] = [];
  const logger = createLogger({ service: 'status-changes-test', level: 'silent' });

  afterAll(async () => {
    await redisOf('start');
    for (const stream of streams) await stream.onModuleDestroy();
    for (const client of clients) client.disconnect();
  });

  it('listen() fails while Redis is down, then recovers instead of returning the cached rejection', async () => {
    expect(new URL(testEnv.redisUrl).port).not.toBe('6379');
    const redis = new Redis(testEnv.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    clients.push(redis);
    const changes = new StatusChanges(redis, logger);
    streams.push(changes);

    await redisOf('stop');
    await expect(changes.listen()).rejects.toThrow();
    await expect(changes.listen()).rejects.toThrow(); // tried again, not a cached promise

    await redisOf('start');
    await changes.listen();
    const publisher = new Redis(testEnv.redisUrl);
    publisher.on('error', () => undefined); // the restart below
    clients.push(publisher);
    const view = { connectorId: 'recovered' } as ConnectorStatusView;
    const received = firstValueFrom(changes.changes);
    await publisher.publish(STATUS_KEYS.changesChannel, JSON.stringify(view));
    expect(await received).toEqual(view);

    // A restart after subscribing: ioredis resubscribes, changes flow again.
    await redisOf('stop');
    await redisOf('start');
    const again = firstValueFrom(changes.changes);
    await waitUntil(async () => {
      await publisher.publish(STATUS_KEYS.changesChannel, JSON.stringify({ connectorId: 'after-restart' }));
      return Promise.race([again.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    });
    expect(await again).toEqual({ connectorId: 'after-restart' });
  });
});

async function waitUntil(check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) if (await check()) return;
  throw new Error('condition never met');
}
