import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectorStatusView } from '#contracts';
import { createLogger } from '#logger';
import { freePort } from '#test-support';
import { StatusChanges } from '../../../apps/status/src/status/status-changes.js';
import { STATUS_KEYS } from '../../../apps/status/src/status/status.keys.js';

/** A Redis of this test's own, on a free port, so that stopping it disturbs nothing else. */
class PrivateRedis {
  private process: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    if (this.process) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    this.process = child;
    let output = '';
    for await (const chunk of child.stdout ?? []) {
      output += String(chunk);
      if (output.includes('Ready to accept connections')) break;
    }
  }
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

describe('status: the change stream after a Redis failure', () => {
  const clients: Redis[] = [];
  const streams: StatusChanges[] = [];
  const logger = createLogger({ service: 'status-changes-test', level: 'silent' });
  let server: PrivateRedis;

  afterAll(async () => {
    await server.stop();
    for (const stream of streams) await stream.onModuleDestroy();
    for (const client of clients) client.disconnect();
  });

  it('listen() fails while Redis is down, then recovers instead of returning the cached rejection', async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    clients.push(redis);
    const changes = new StatusChanges(redis, logger);
    streams.push(changes);

    await server.stop();
    await expect(changes.listen()).rejects.toThrow();
    await expect(changes.listen()).rejects.toThrow(); // tried again, not a cached promise

    await server.start();
    await changes.listen();
    const publisher = new Redis(server.url);
    publisher.on('error', () => undefined); // the restart below
    clients.push(publisher);
    const view = { connectorId: 'recovered' } as ConnectorStatusView;
    const received = firstValueFrom(changes.changes);
    await publisher.publish(STATUS_KEYS.changesChannel, JSON.stringify(view));
    expect(await received).toEqual(view);

    // A restart after subscribing: ioredis resubscribes, changes flow again.
    await server.stop();
    await server.start();
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
