import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_GROUPS } from '#contracts';
import { describeGroup, type GroupMember } from '#kafka';
import { generateJournalReport, Pipeline, seededRandom, TEST_RUN_ID, type RunningService } from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

const REPORTS = 240;
/** Reports 0..COPIES-1 also arrive from a second server: another report of the same original. */
const COPIES = 60;

/** The same original journaled again by another hub: other bytes (another raw id), same dedup key. */
function fromSecondServer(report: Buffer): Buffer {
  const text = report.toString('latin1');
  const copy = text.replace('EXHUB01.contoso.com (10.0.0.1)', 'EXHUB02.contoso.com (10.0.0.2)');
  if (copy === text) throw new Error('the generated report has no hub line to change');
  return Buffer.from(copy, 'latin1');
}

/** Sum of a counter's samples that carry `connector="<id>"`, from a service's /metrics. */
async function counted(service: RunningService, metric: string, connectorId: string): Promise<number> {
  const text = await (await fetch(`${service.baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) || !line.includes(`connector="${connectorId}"`)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// One busy connector served by two envelope and two policy instances in the same consumer groups:
// its records are keyed by raw id, so they spread over the partitions and both instances of each
// service take a share. Copies of one original decided on different partitions still give one
// archive, and every raw record exactly one outcome.
describe('one connector, two envelope and two policy instances', () => {
  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '50' });
  const envelopes: RunningService[] = [];
  const policies: RunningService[] = [];

  beforeAll(async () => {
    await pipeline.start(['status', 'envelope', 'policy']);
    envelopes.push(pipeline.service('envelope'), await pipeline.startInstance('envelope', 'envelope-e2e-2'));
    policies.push(pipeline.service('policy'), await pipeline.startInstance('policy', 'policy-e2e-2'));
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  /** Waits until the group has settled with two members, each holding partitions. */
  async function twoMembers(groupId: string): Promise<GroupMember[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const group = await describeGroup(pipeline.kafka, groupId);
      const holding = group.members.filter((m) => Object.values(m.assignment).some((p) => p.length > 0));
      if (group.state === 'Stable' && group.members.length === 2 && holding.length === 2) return group.members;
      if (Date.now() > deadline)
        throw new Error(`${groupId} did not settle with two members: ${JSON.stringify(group)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('shares one connector between the instances, and conserves every message', async () => {
    const envelopeMembers = await twoMembers(CONSUMER_GROUPS.envelope);
    await twoMembers(CONSUMER_GROUPS.policy);

    const random = seededRandom(1616);
    const reports = Array.from(
      { length: REPORTS },
      (_, i) => generateJournalReport(i, 3000, random, `${TEST_RUN_ID}-scale`).bytes,
    );
    const files = [...reports, ...reports.slice(0, COPIES).map(fromSecondServer)];
    // Every generated report is archived (or merged): no filter rejects it.
    const { id, mailbox } = await pipeline.connectorWithMailbox(files, {
      journalNonInternalAddresses: true,
      journalUnknownInternalAddresses: true,
    });
    await pipeline.startOne('poller');
    const status = await pipeline.waitUntilDrained(id, mailbox, files.length);
    expect(status.counters.extracted).toBe(files.length);

    // The connector's raw records spread over the partitions the two envelope instances share.
    const records = await pipeline.outcomes(id, { raw: true });
    const rawPartitions = new Set(records.raws.map((raw) => raw.ref.partition));
    const assigned = envelopeMembers.map((m) => new Set(Object.values(m.assignment).flat()));
    for (const partitions of assigned)
      expect([...partitions].some((partition) => rawPartitions.has(partition))).toBe(true);

    // Each instance classified and decided a share; together, each message exactly once.
    const classified = await Promise.all(envelopes.map((s) => counted(s, 'journalwire_messages_classified_total', id)));
    const decided = await Promise.all(
      policies.map(
        async (s) =>
          (await counted(s, 'journalwire_messages_archived_total', id)) +
          (await counted(s, 'journalwire_messages_rejected_total', id)) +
          (await counted(s, 'journalwire_messages_dead_lettered_total', id)),
      ),
    );
    for (const share of [...classified, ...decided]) expect(share).toBeGreaterThan(0);
    expect(classified[0]! + classified[1]!).toBe(files.length);
    expect(decided[0]! + decided[1]!).toBe(files.length);

    // Conservation: one outcome per raw record; one archive per original, the copies merged.
    const report = await pipeline.reconcile(id);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.archivedTwice).toEqual([]);
    expect(report.raw).toBe(files.length);
    expect(report.outcomes).toEqual({ archived: REPORTS, merged: COPIES, rejected: 0, 'dead-lettered': 0 });
    expect(report.ok).toBe(true);
    expect(new Set(records.archived.map((r) => r.archiveId)).size).toBe(REPORTS);

    // Joining the groups and sharing the work is routine: no instance's Kafka client warned about
    // it. (Records other tests left on the shared topics may be dead-lettered with a warning.)
    const noisy = [...envelopes, ...policies].flatMap((s) =>
      readFileSync(s.logFile, 'utf8')
        .split('\n')
        .filter((line) => /"level":"(warn|error|fatal)"/.test(line) && line.includes('"msg":"kafka:')),
    );
    expect(noisy).toEqual([]);
  });
});
