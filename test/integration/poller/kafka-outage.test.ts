import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, PollerTestContext } from '../../support/poller-fixture.js';
import { readLogLines, waitFor } from '#test-support';
import { generateMessages, kafkaBroker, mailbox } from '../../support/poller-harness.js';

describe('poller: a Kafka outage delays extraction, never loses a message', () => {
  let ctx: PollerTestContext;
  let brokerStopped = false;

  beforeAll(async () => {
    ctx = await PollerTestContext.open();
  });

  afterAll(async () => {
    if (brokerStopped) await kafkaBroker.start();
    await ctx?.close();
  });

  it('stops deleting when Kafka stops acknowledging, and drains fully once it is back', async () => {
    const { connector, user } = await ctx.connectorWithMailbox();
    const dir = await ctx.scratch('outage');
    const first = await generateMessages(dir, 400, { maxSize: 24 * 1024, tag: 'first' });
    const second = await generateMessages(`${dir}/second`, 40, { maxSize: 8 * 1024, tag: 'second' });
    const total = first.length + second.length;
    await mailbox.deliver(
      user,
      first.map((m) => m.file),
    );

    // Invariant, checked throughout: a message gone from the mailbox is in the ledger (acknowledged).
    // Read the mailbox first: both counts only move one way, so a race can only under-report.
    let delivered = first.length;
    const violations: string[] = [];
    let checking = true;
    const checker = (async () => {
      while (checking) {
        const inMailbox = await mailbox.count(user);
        const ledgered = (await ctx.ledgerRows(connector.id)).length;
        if (inMailbox + ledgered < delivered)
          violations.push(`mailbox ${inMailbox} + ledger ${ledgered} < ${delivered}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const poller = await ctx.startPoller({
      BATCH_MAX_MESSAGES: '5',
      PUBLISH_TIMEOUT_MS: '4000',
      KAFKA_BACKOFF_MAX_MS: '4000',
    });
    await waitFor('extraction under way', async () => (await ctx.ledgerRows(connector.id)).length >= 40, {
      timeoutMs: 60_000,
      everyMs: 20,
    });
    brokerStopped = true;
    await kafkaBroker.stop();

    // Kafka is down: new mail is not extracted, and nothing unacknowledged is deleted.
    await mailbox.deliver(
      user,
      second.map((m) => m.file),
    );
    delivered = total;
    await waitFor(
      'a kafka-unavailable session',
      async () =>
        (await readLogLines(poller.logFile)).some((l) => l.event === 'session-end' && l.code === 'kafka-unavailable'),
      { timeoutMs: 60_000 },
    );
    const stalled = await mailbox.count(user);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await mailbox.count(user)).toBe(stalled);
    expect(stalled).toBeGreaterThanOrEqual(second.length);
    const ledgeredDuringOutage = (await ctx.ledgerRows(connector.id)).length;
    expect(stalled + ledgeredDuringOutage).toBeGreaterThanOrEqual(total);

    await kafkaBroker.start();
    brokerStopped = false;
    await Promise.all([ctx.raw.restart(), ctx.status.restart()]);
    await waitFor('an empty mailbox', async () => (await mailbox.count(user)) === 0, { timeoutMs: 120_000 });
    await waitFor(`${total} records`, () => ctx.rawFor(connector.id).length >= total, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    checking = false;
    await checker;

    expect(violations).toEqual([]);
    const records = ctx.rawFor(connector.id);
    expect(records).toHaveLength(total);
    const bySha = countBy(records, 'jw-sha256');
    for (const m of [...first, ...second]) expect(bySha.get(m.sha256), m.file).toBe(1);
    expect([...countBy(records, 'jw-uidl').values()].every((n) => n === 1)).toBe(true);
    // The error status could not be published while Kafka was down; the next sessions report ok.
    await waitFor(
      'an ok status after the outage',
      () => ctx.statusFor(connector.id).some((s) => s.state === 'ok' && s.extractedTotal === total),
      { timeoutMs: 30_000 },
    );
  });
});
