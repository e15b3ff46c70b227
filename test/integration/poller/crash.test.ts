import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollerInFlightKey, pollerLeaseKey, RAW_CONTENT_TYPES } from '#contracts';
import { Pop3Client } from '#pop3';
import { testEnv, readLogLines, waitFor } from '#test-support';
import type { InFlightMarker } from '../../../apps/poller/src/in-flight.js';
import { rawRecords, transactionalIdFor } from '../../../apps/poller/src/raw-publisher.js';
import { updateConnector } from '../../support/connectors.js';
import { countBy, PollerTestContext } from '../../support/poller-fixture.js';
import { mailbox, sha256 } from '../../support/poller-harness.js';

describe('poller: crashes never lose or duplicate a message', () => {
  let ctx: PollerTestContext;
  let redis: Redis;

  beforeAll(async () => {
    ctx = await PollerTestContext.open();
    redis = new Redis(testEnv.redisUrl);
  });

  afterAll(async () => {
    await ctx?.close();
    await redis?.quit();
  });

  it('SIGKILLed twice mid-drain and restarted: every message published exactly once', async () => {
    const { connector, user, messages } = await ctx.connectorWithMessages('crash', 200, {
      minSize: 1024,
      maxSize: 48 * 1024,
    });
    // Small batches: many publish/ledger/DELE cycles for the kills to land in.
    const env = { BATCH_MAX_MESSAGES: '5', LEASE_TTL_MS: '4000' };
    const ledgered = async () => (await ctx.ledgerRows(connector.id)).length;

    for (const threshold of [25, 90]) {
      const poller = await ctx.startPoller(env);
      await waitFor(`${threshold} ledger rows`, async () => (await ledgered()) >= threshold, {
        timeoutMs: 60_000,
        everyMs: 20,
      });
      await poller.kill();
      expect(await ledgered()).toBeLessThan(200); // really mid-drain
    }
    // The crashed instance's lease expires; the restarted one takes over and finishes.
    await ctx.startPoller(env);
    await waitFor('all 200 records', () => ctx.rawFor(connector.id).length >= 200, { timeoutMs: 90_000 });
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500)); // a late duplicate would show up by now

    const records = ctx.rawFor(connector.id);
    const byUidl = countBy(records, 'jw-uidl');
    const bySha = countBy(records, 'jw-sha256');
    expect([...byUidl.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(records).toHaveLength(200);
    for (const m of messages) expect(bySha.get(m.sha256), m.file).toBe(1);
    expect(await ledgered()).toBe(200);
  });

  it('SIGTERM mid-drain: the current batch finishes, QUIT commits it, the lease is released', async () => {
    const { connector, user } = await ctx.connectorWithMessages('sigterm', 200, {
      minSize: 1024,
      maxSize: 48 * 1024,
    });
    const env = { BATCH_MAX_MESSAGES: '5' };
    const poller = await ctx.startPoller(env);
    await waitFor('30 ledger rows', async () => (await ctx.ledgerRows(connector.id)).length >= 30, {
      timeoutMs: 60_000,
      everyMs: 20,
    });
    const stopping = Date.now();
    await poller.stop(20_000);
    const stopMs = Date.now() - stopping;

    expect(stopMs).toBeLessThan(10_000);
    expect(await redis.get(pollerLeaseKey(connector.id))).toBeNull();
    const lines = await readLogLines(poller.logFile);
    expect(lines.some((l) => l.msg === 'poller stopped; leases released')).toBe(true);
    // Everything published was DELEted and committed by QUIT; everything else is still there.
    const rows = await ctx.ledgerRows(connector.id);
    expect(rows.length).toBeLessThan(200);
    expect(rows.filter((r) => r.deleted_at === null)).toEqual([]);
    expect((await mailbox.count(user)) + rows.length).toBe(200);

    await ctx.startPoller(env);
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 60_000 });
    await waitFor('all 200 records', () => ctx.rawFor(connector.id).length >= 200, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(ctx.rawFor(connector.id)).toHaveLength(200);
    expect([...countBy(ctx.rawFor(connector.id), 'jw-uidl').values()].every((n) => n === 1)).toBe(true);
  });

  it('settles an interrupted publish: committed before the crash → only DELEted; uncommitted → fenced and published once', async () => {
    // A: the poller died after Kafka committed the batch, before the ledger insert.
    // B: the poller stalled mid-transaction and is still alive (a zombie that may try to commit).
    // C: as A, left by an older version that keyed every record by the connector id.
    const a = await mailboxWithBodies(6);
    const b = await mailboxWithBodies(6);
    const c = await mailboxWithBodies(6);
    const at = Date.now();
    const crashed = await interrupted(a, 'crashed-1', 'raw-id', at);
    await crashed.transaction.commit();
    await crashed.producer.disconnect();
    const crashedOlder = await interrupted(c, 'crashed-old', undefined, at, true);
    await crashedOlder.transaction.commit();
    await crashedOlder.producer.disconnect();
    const { producer: zombie, transaction: txnB } = await interrupted(b, 'stalled-1', 'raw-id', at);

    await ctx.startPoller({}, [a.connector.id, b.connector.id, c.connector.id]);
    for (const x of [a, b, c]) {
      await waitFor('an empty mailbox', async () => (await mailbox.count(x.user)) === 0, { timeoutMs: 60_000 });
      await waitFor('6 records', () => ctx.rawFor(x.connector.id).length >= 6, { timeoutMs: 30_000 });
    }
    // The zombie was fenced: its transaction can no longer commit.
    await expect(txnB.commit()).rejects.toThrow();
    await zombie.disconnect();
    await new Promise((r) => setTimeout(r, 1000));

    for (const x of [a, b, c]) {
      const published = ctx.rawFor(x.connector.id);
      expect(published).toHaveLength(6);
      expect([...countBy(published, 'jw-uidl').values()]).toEqual(Array(6).fill(1));
      expect(await redis.get(pollerInFlightKey(x.connector.id))).toBeNull();
      expect((await ctx.ledgerRows(x.connector.id)).length).toBe(6);
      // The progress records committed and aborted with their raw records: one per raw record.
      ctx.expectOneProgressPerRaw(x.connector.id);
    }
  });

  it('settles what a dead session left in flight once its connector is suspended, without a session', async () => {
    // The poller died after Kafka committed the batch, before the ledger insert; then the
    // connector was suspended. No session will run to settle the marker, and the status service
    // refuses to delete a connector while it is set.
    const x = await mailboxWithBodies(6);
    await updateConnector(ctx.dataSource, x.connector.id, { suspended: true });
    const crashed = await interrupted(x, 'crashed-then-suspended', 'raw-id', Date.now());
    await crashed.transaction.commit();
    await crashed.producer.disconnect();

    await ctx.startPoller({}, [x.connector.id]);
    await waitFor('a suspended status', () => ctx.statusFor(x.connector.id).some((s) => s.state === 'suspended'));
    expect(await redis.get(pollerInFlightKey(x.connector.id))).toBeNull();
    const rows = await ctx.ledgerRows(x.connector.id);
    expect(rows.map((r) => r.uidl).sort()).toEqual(
      x.bodies
        .slice(0, 4)
        .map((b) => b.uidl)
        .sort(),
    );
    expect(rows.filter((r) => r.deleted_at !== null)).toEqual([]);
    // Settled, not extracted: the mailbox is untouched and nothing else was published.
    expect(await mailbox.count(x.user)).toBe(6);
    expect(ctx.rawFor(x.connector.id)).toHaveLength(4);
  });

  interface Body {
    uidl: string;
    msg: number;
    data: Buffer;
  }
  type Mailbox = Awaited<ReturnType<typeof mailboxWithBodies>>;

  const entries = (bodies: Body[]) =>
    bodies.map((x) => ({ uidl: x.uidl, sha256: sha256(x.data), size: x.data.length }));
  const records = (connectorId: string, bodies: Body[], at: number) =>
    bodies.flatMap((x) =>
      rawRecords(connectorId, {
        msg: x.msg,
        uidl: x.uidl,
        sha256: sha256(x.data),
        size: x.data.length,
        listSize: x.data.length,
        value: x.data,
        contentType: RAW_CONTENT_TYPES.inline,
        extractedAt: new Date(at).toISOString(),
      }),
    );

  /**
   * Leaves the in-flight marker of 4 of the mailbox's messages and, in the connector's
   * transactional producer, sends their records: keyed as now, or (`byConnector`) as before.
   */
  async function interrupted(x: Mailbox, token: string, keys: InFlightMarker['keys'], at: number, byConnector = false) {
    const marker: InFlightMarker = { token, instanceId: token, at, entries: entries(x.bodies.slice(0, 4)) };
    if (keys) marker.keys = keys;
    await redis.set(pollerInFlightKey(x.connector.id), JSON.stringify(marker));
    const producer = await ctx.kafka.createProducer({ transactionalId: transactionalIdFor(x.connector.id) });
    const transaction = await producer.transaction();
    await transaction.send(
      records(x.connector.id, x.bodies.slice(0, 4), at).map((r) => (byConnector ? { ...r, key: x.connector.id } : r)),
    );
    return { producer, transaction };
  }

  /** A mailbox with `count` messages, and their UIDLs and bytes as the server returns them. */
  async function mailboxWithBodies(count: number) {
    const { connector, user, password } = await ctx.connectorWithMessages('in-flight', count, {
      maxSize: 8192,
    });
    const client = await Pop3Client.connect({
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      transport: 'pop3s',
      tlsMode: 'strict',
      ca: readFileSync(testEnv.pop3CaFile, 'utf8'),
      username: user,
      password,
    });
    const bodies: Body[] = [];
    for (const u of await client.uidl()) bodies.push({ uidl: u.uid, msg: u.msg, data: await client.retr(u.msg) });
    await client.quit();
    return { connector, user, bodies };
  }
});
