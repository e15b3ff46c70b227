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
});
