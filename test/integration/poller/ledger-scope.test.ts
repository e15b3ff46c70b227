import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource, ledgerScopeOf } from '#persistence';
import { deleteConnectors, insertConnector, testEnv } from '#test-support';
import { ExtractionLedger, RetrievalFailures } from '../../../apps/poller/src/ledger.js';
import { CONNECTOR_SCOPE_SQL } from '../../../libs/persistence/src/migrations/1765200000000-ledger-scope.js';

describe('poller: the extraction ledger in PostgreSQL, scoped to the mailbox', () => {
  let dataSource: DataSource;
  let ledger: ExtractionLedger;
  let failures: RetrievalFailures;
  const ids: string[] = [];
  const here = ledgerScopeOf({ host: 'pop.contoso.test', mailboxName: 'journal' });
  const elsewhere = ledgerScopeOf({ host: 'pop.fabrikam.test', mailboxName: 'journal' });

  beforeAll(async () => {
    dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 2 }).initialize();
    ledger = new ExtractionLedger(dataSource);
    failures = new RetrievalFailures(dataSource);
  });

  afterAll(async () => {
    await deleteConnectors(dataSource, ids);
    await dataSource.destroy();
  });

  async function connectorId(host = 'pop.contoso.test', mailboxName = 'journal'): Promise<string> {
    const connector = await insertConnector(dataSource, { mailboxName, password: 'x', host, suspended: true });
    ids.push(connector.id);
    return connector.id;
  }

  it('the migrations compute the same scope in SQL as ledgerScopeOf', async () => {
    const id = await connectorId('Mail.CONTOSO.test', 'CONTOSO\\jürgen\\journal');
    const [row] = await dataSource.query(`SELECT ${CONNECTOR_SCOPE_SQL} AS scope FROM connectors c WHERE c.id = $1`, [
      id,
    ]);
    expect(row.scope).toBe(ledgerScopeOf({ host: 'Mail.CONTOSO.test', mailboxName: 'CONTOSO\\jürgen\\journal' }));
  });

  it('keeps a published row for the same message, replaces it for another size or another mailbox', async () => {
    const id = await connectorId();
    const entry = (uidl: string, listSize: number) => ({ uidl, sha256: randomUUID(), size: listSize, listSize });
    await ledger.recordPublished(id, here, [entry('1', 100), entry('2', 200), entry('3', 300)]);
    const first = await ledger.lookup(id, here, ['1', '2', '3']);
    expect(first.get('1')).toMatchObject({ size: 100, listSize: 100, deletedAt: null });

    await ledger.recordPublished(id, here, [entry('1', 100), entry('2', 222)]);
    const second = await ledger.lookup(id, here, ['1', '2']);
    expect(second.get('1')?.sha256).toBe(first.get('1')?.sha256); // same message: untouched
    expect(second.get('2')).toMatchObject({ listSize: 222 }); // UIDL reused: replaced

    expect((await ledger.lookup(id, elsewhere, ['1', '2', '3'])).size).toBe(0);
    await ledger.recordPublished(id, elsewhere, [entry('3', 300)]);
    expect((await ledger.lookup(id, here, ['3'])).size).toBe(0);
    expect((await ledger.lookup(id, elsewhere, ['3'])).get('3')).toMatchObject({ listSize: 300 });

    await ledger.markDeleted(id, here, ['1', '3']);
    expect((await ledger.lookup(id, here, ['1'])).get('1')?.deletedAt).toBeInstanceOf(Date);
    expect((await ledger.lookup(id, elsewhere, ['3'])).get('3')?.deletedAt).toBeNull();
  });

  it('counts retrieval failures per mailbox: another mailbox starts from one', async () => {
    const id = await connectorId();
    expect(await failures.record(id, here, 'u1', 'refused')).toBe(1);
    expect(await failures.record(id, here, 'u1', 'refused')).toBe(2);
    expect((await failures.listSkipped(id, here, 2)).map((f) => f.uidl)).toEqual(['u1']);
    expect((await failures.lookup(id, elsewhere, ['u1'])).size).toBe(0);
    expect(await failures.listSkipped(id, elsewhere, 1)).toEqual([]);
    expect(await failures.record(id, elsewhere, 'u1', 'refused there')).toBe(1);
    expect((await failures.lookup(id, here, ['u1'])).size).toBe(0);
  });
});
