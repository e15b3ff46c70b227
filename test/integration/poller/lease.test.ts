import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { pollerLeaseKey } from '#contracts';
import { createLogger } from '#logger';
import { testEnv, readLogLines, type LogLine, waitFor } from '#test-support';
import { LeaseManager } from '../../../apps/poller/src/lease.js';
import { countBy, pollerSuite } from '../../support/poller-fixture.js';
import { mailbox } from '../../support/poller-harness.js';

interface Session {
  instance: string;
  start: number;
  end: number;
}

function sessionsOf(lines: LogLine[], connectorId: string): Session[] {
  const sessions: Session[] = [];
  const open = new Map<string, number>();
  for (const line of lines) {
    if (line.connectorId !== connectorId) continue;
    const token = String(line.leaseToken);
    if (line.event === 'session-start') open.set(token, Date.parse(line.time));
    if (line.event === 'session-end' && open.has(token)) {
      sessions.push({ instance: String(line.instanceId), start: open.get(token)!, end: Date.parse(line.time) });
      open.delete(token);
    }
  }
  return sessions;
}

describe('poller: one poller at a time per mailbox', () => {
  const suite = pollerSuite();

  it('two poller processes on one connector never interleave sessions, and publish each message once', async () => {
    // Short sessions (15 messages) back to back: the two instances keep contending for the lease.
    const { connector, user } = await suite.ctx.connectorWithMessages(
      'lease',
      240,
      { maxSize: 16 * 1024 },
      { maxMessagesPerSession: 15 },
    );

    const [one, two] = await Promise.all([
      suite.ctx.startPoller({ POLLER_INSTANCE_ID: 'poller-one', POLL_TICK_MS: '50' }),
      suite.ctx.startPoller({ POLLER_INSTANCE_ID: 'poller-two', POLL_TICK_MS: '50' }),
    ]);
    await waitFor('all 240 records', () => suite.ctx.rawFor(connector.id).length >= 240, { timeoutMs: 90_000 });
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));

    const records = suite.ctx.rawFor(connector.id);
    expect(records).toHaveLength(240);
    expect([...countBy(records, 'jw-uidl').values()].every((n) => n === 1)).toBe(true);

    const sessions = [
      ...sessionsOf(await readLogLines(one.logFile), connector.id),
      ...sessionsOf(await readLogLines(two.logFile), connector.id),
    ].sort((a, b) => a.start - b.start);
    const instances = new Set(sessions.map((s) => s.instance));
    expect(instances).toEqual(new Set(['poller-one', 'poller-two']));
    expect(sessions.length).toBeGreaterThanOrEqual(16);
    for (let i = 1; i < sessions.length; i++) {
      // Sorted by start: each session starts no earlier than the previous one ended.
      expect(
        sessions[i]!.start,
        `${JSON.stringify(sessions[i - 1])} then ${JSON.stringify(sessions[i])}`,
      ).toBeGreaterThanOrEqual(sessions[i - 1]!.end);
    }
    const handovers = sessions.filter((s, i) => i > 0 && s.instance !== sessions[i - 1]!.instance).length;
    console.info(`${sessions.length} sessions, ${handovers} hand-overs between the two instances`);
  });

  it('the Redis lease: exclusive, renewed while held, lost when taken over, expires after a crash', async () => {
    const redis = new Redis(testEnv.redisUrl);
    const logger = createLogger({ service: 'lease-test', level: 'silent' });
    const one = new LeaseManager(redis, 'one', 1500, logger);
    const two = new LeaseManager(redis, 'two', 1500, logger);
    const id = randomUUID();
    try {
      const lease = (await one.acquire(id))!;
      expect(lease.held).toBe(true);
      expect(await two.acquire(id)).toBeNull();
      await new Promise((r) => setTimeout(r, 2500)); // longer than the TTL: renewals kept it
      expect(lease.held).toBe(true);
      expect(await redis.get(pollerLeaseKey(id))).toBe(lease.token);

      await redis.set(pollerLeaseKey(id), 'someone-else', 'PX', 5000); // e.g. after a long pause
      await new Promise((r) => setTimeout(r, 700));
      expect(lease.held).toBe(false);
      expect(lease.lostReason).toMatch(/another instance/);
      await lease.release();
      expect(await redis.get(pollerLeaseKey(id))).toBe('someone-else'); // release never drops another's lease

      await redis.set(pollerLeaseKey(id), 'crashed', 'PX', 800); // a holder that died: no renewals
      expect(await two.acquire(id)).toBeNull();
      await new Promise((r) => setTimeout(r, 900));
      const taken = (await two.acquire(id))!;
      expect(taken.held).toBe(true);
      await taken.release();
      expect(await redis.get(pollerLeaseKey(id))).toBeNull();
    } finally {
      await redis.del(pollerLeaseKey(id));
      await redis.quit();
    }
  });
});
