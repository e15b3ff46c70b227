import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '#persistence';
import { planChunk, type PlanInput } from '#policy';
import { testEnv } from '#test-support';
import { OutcomeStore } from '../../../apps/policy/src/outcome-store.js';

// The policy service's memory on the real PostgreSQL: a chunk's decisions read back as priors,
// and two instances racing for one dedup key cannot both archive it.
describe('OutcomeStore', () => {
  let dataSource: DataSource;
  let store: OutcomeStore;
  const run = randomUUID();

  beforeAll(async () => {
    dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 2 }).initialize();
    store = new OutcomeStore(dataSource);
  });
  afterAll(async () => {
    await dataSource.query(`DELETE FROM raw_outcomes WHERE raw_id LIKE $1`, [`${run}/%`]);
    await dataSource.query(`DELETE FROM archive_keys WHERE dedup_key LIKE $1`, [`${run}/%`]);
    await dataSource.destroy();
  });

  function input(raw: string, offset: number, key: string, mailbox: string): PlanInput {
    return {
      rawId: `${run}/${raw}`,
      source: { partition: 0, offset: String(offset) },
      classification: 'internal',
      flags: { journalNonInternal: true, journalUnknownInternal: true },
      dedupKey: `${run}/${key}`,
      archiveId: `ar-${run}-${key}`,
      mailboxes: [mailbox],
    };
  }

  async function plan(inputs: PlanInput[]) {
    const priors = await store.findOutcomes(inputs.map((i) => i.rawId));
    const claims = await store.findClaims(inputs.map((i) => i.dedupKey));
    return planChunk(inputs, priors, claims);
  }

  it('stores a chunk so the next chunk sees its outcomes, claims and mailboxes', async () => {
    const first = await plan([
      input('r1', 1, 'k1', 'alice@contoso.com'),
      input('r2', 2, 'k1', 'bob@contoso.com'),
      input('r3', 3, 'k2', 'carol@contoso.com'),
    ]);
    expect(first.outcomes.map((o) => o.kind)).toEqual(['archive', 'merge', 'archive']);
    expect(await store.apply(first.writes)).toBe(true);

    // A replay of the same records decides the same; a copy of r1 from another offset and a new
    // report of k2's original join the earlier archives.
    const replay = await plan([
      input('r1', 1, 'k1', 'alice@contoso.com'),
      input('r1', 9, 'k1', 'alice@contoso.com'),
      input('r4', 10, 'k2', 'dave@contoso.com'),
    ]);
    expect(replay.outcomes).toEqual([
      { kind: 'archive', archiveId: `ar-${run}-k1` },
      { kind: 'merge', archiveId: `ar-${run}-k1` },
      { kind: 'merge', archiveId: `ar-${run}-k2` },
    ]);
    expect(await store.apply(replay.writes)).toBe(true);

    const rows = await dataSource.query<Array<{ dedup_key: string; mailboxes: string[] }>>(
      `SELECT dedup_key, mailboxes FROM archive_keys WHERE dedup_key LIKE $1 ORDER BY dedup_key`,
      [`${run}/%`],
    );
    expect(rows.map((r) => [r.dedup_key, [...r.mailboxes].sort()])).toEqual([
      [`${run}/k1`, ['alice@contoso.com', 'bob@contoso.com']],
      [`${run}/k2`, ['carol@contoso.com', 'dave@contoso.com']],
    ]);
    const outcomes = await store.findOutcomes([`${run}/r1`, `${run}/r2`, `${run}/r3`, `${run}/r4`]);
    expect(Object.fromEntries([...outcomes].map(([id, o]) => [id.slice(run.length + 1), o.outcome]))).toEqual({
      r1: 'archived',
      r2: 'merged',
      r3: 'archived',
      r4: 'merged',
    });
  });

  it('refuses, writing nothing, a plan whose new dedup key another instance claimed first', async () => {
    // Two instances plan the same new dedup key before either writes.
    const mine = await plan([
      input('a1', 20, 'race', 'alice@contoso.com'),
      input('a2', 21, 'other', 'alice@contoso.com'),
    ]);
    const theirs = await plan([input('b1', 30, 'race', 'bob@contoso.com')]);
    expect(await store.apply(theirs.writes)).toBe(true);
    expect(await store.apply(mine.writes)).toBe(false);
    expect((await store.findOutcomes([`${run}/a1`, `${run}/a2`])).size).toBe(0);
    expect((await store.findClaims([`${run}/other`])).size).toBe(0);

    // Planned again, the loser merges into the winner's archive.
    const again = await plan([
      input('a1', 20, 'race', 'alice@contoso.com'),
      input('a2', 21, 'other', 'alice@contoso.com'),
    ]);
    expect(again.outcomes).toEqual([
      { kind: 'merge', archiveId: `ar-${run}-race` },
      { kind: 'archive', archiveId: `ar-${run}-other` },
    ]);
    expect(await store.apply(again.writes)).toBe(true);
  });

  it('archives each original once when two instances decide its copies at the same time', async () => {
    // Copies of one original sit on different partitions (keyed by raw id), so two policy
    // instances, each with its own pool, decide them concurrently, in opposite orders.
    const other = await createDataSource(testEnv.databaseUrl, { poolSize: 2 }).initialize();
    try {
      const stores = [store, new OutcomeStore(other)];
      const keys = Array.from({ length: 20 }, (_, i) => `both-${i}`);
      const chunks = [
        keys.map((key, i) => input(`x-${key}`, 100 + i, key, 'alice@contoso.com')),
        [...keys].reverse().map((key, i) => input(`y-${key}`, 200 + i, key, 'bob@contoso.com')),
      ];
      // Both plan before either writes: each plan archives every key, so every key is contended.
      let planned = 0;
      let release = () => {};
      const bothPlanned = new Promise<void>((resolve) => (release = resolve));
      const decide = async (instance: number): Promise<Array<{ kind: string }>> => {
        const own = stores[instance]!;
        for (let attempt = 1; attempt <= 10; attempt++) {
          const inputs = chunks[instance]!;
          const priors = await own.findOutcomes(inputs.map((i) => i.rawId));
          const claims = await own.findClaims(inputs.map((i) => i.dedupKey));
          const chunk = planChunk(inputs, priors, claims);
          if (attempt === 1) {
            if (++planned === 2) release();
            await bothPlanned;
          }
          if (await own.apply(chunk.writes)) return chunk.outcomes;
        }
        throw new Error(`instance ${instance} never applied its chunk`);
      };
      const [x, y] = await Promise.all([decide(0), decide(1)]);

      const kinds = [...x!.map((o) => o.kind), ...y!.map((o) => o.kind)];
      expect(kinds.filter((k) => k === 'archive')).toHaveLength(keys.length);
      expect(kinds.filter((k) => k === 'merge')).toHaveLength(keys.length);
      const rows = await dataSource.query<Array<{ dedup_key: string; archive_id: string; mailboxes: string[] }>>(
        `SELECT dedup_key, archive_id, mailboxes FROM archive_keys WHERE dedup_key LIKE $1`,
        [`${run}/both-%`],
      );
      expect(rows).toHaveLength(keys.length);
      for (const row of rows) expect([...row.mailboxes].sort()).toEqual(['alice@contoso.com', 'bob@contoso.com']);
      const outcomes = await store.findOutcomes(chunks.flat().map((i) => i.rawId));
      expect(outcomes.size).toBe(2 * keys.length);
      for (const key of keys) {
        const pair = [outcomes.get(`${run}/x-${key}`)!, outcomes.get(`${run}/y-${key}`)!];
        expect(pair.map((o) => o.outcome).sort()).toEqual(['archived', 'merged']);
        expect(pair.map((o) => o.archiveId)).toEqual([`ar-${run}-${key}`, `ar-${run}-${key}`]);
      }
    } finally {
      await other.destroy();
    }
  });
});
