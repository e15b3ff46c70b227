import { randomUUID } from 'node:crypto';
import type { ApiErrorBody } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReliableProducer } from '#kafka';
import { waitFor } from '#test-support';
import {
  createConnector,
  startStatusHarness,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';
import { statusRecord, testProducer } from '../../support/status-records.js';

interface Item {
  id: string;
  description: string;
  host: string;
  password: string;
  status: { connectorId: string; serviceStatus: string; processingQueue: number; pop3MailboxQueue: number | null };
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
  page?: number;
  pageSize?: number;
  total?: number;
}
/** Follows nextCursor from the first page to the last. */
async function walk<T>(api: ApiClient, path: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const url: string = cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`;
    const response = await api<Page<T>>('GET', url);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
    pages++;
  } while (cursor !== null);
  return { items, pages };
}

describe('status API: list-first connectors, cursor paging of directory and logs', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  let producer: ReliableProducer;
  let disconnect: () => Promise<void>;
  const run = randomUUID().slice(0, 8);
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ db, status, api } = await startStatusHarness({ tokenName: `lister-${run}` }));
    const test = await testProducer();
    producer = test.producer;
    disconnect = () => test.producer.disconnect();
    const definitions: Array<[string, Record<string, unknown>]> = [
      ['alpha', { description: `Alpha ${run}`, host: 'pop.alpha.test' }],
      ['bravo', { description: `bravo 100% ${run}`, host: 'pop.bravo.test' }],
      ['charlie', { description: `Charlie ${run}`, host: 'mail.charlie.test', suspended: true }],
      ['delta', { description: `Delta ${run}`, host: 'pop.delta.test' }],
      ['echo', { description: `Echo ${run}`, host: 'pop.echo.test', mailboxName: `journal-special-${run}` }],
    ];
    for (const [name, fields] of definitions) {
      ids[name] = await createConnector(api, {
        serviceEmailAddress: `${name}@contoso.test`,
        mailboxName: `${name}-journal`,
        password: `pw-${name}`,
        ...fields,
      });
    }
    const at = new Date().toISOString();
    await producer.send([
      statusRecord(ids['alpha']!, { state: 'ok', lastSuccessfulExtractAt: at, mailboxQueue: 3 }),
      statusRecord(ids['delta']!, {
        state: 'error',
        lastError: { code: 'authentication', message: 'login refused', at },
      }),
    ]);
    await waitFor(
      'alpha ok and delta in error',
      async () => (await api<Page<Item>>('GET', '/v1/connectors?limit=200')).body.items,
      {
        until: (items) =>
          items.find((item) => item.id === ids['alpha'])?.status.serviceStatus === 'ok' &&
          items.find((item) => item.id === ids['delta'])?.status.serviceStatus === 'error',
      },
    );
  });

  afterAll(async () => {
    await status?.service.stop();
    await disconnect?.();
    await db?.drop();
  });

  it('lists each definition with its status in one call, password redacted', async () => {
    const { status: code, body } = await api<Page<Item>>('GET', '/v1/connectors');
    expect(code).toBe(200);
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((item) => item.id)).toEqual(Object.values(ids));
    const byId = new Map(body.items.map((item) => [item.id, item]));
    expect(byId.get(ids['alpha']!)!.status).toMatchObject({
      connectorId: ids['alpha'],
      serviceStatus: 'ok',
      pop3MailboxQueue: 3,
    });
    expect(byId.get(ids['bravo']!)!.status.serviceStatus).toBe('awaiting-initial-run');
    expect(byId.get(ids['charlie']!)!.status.serviceStatus).toBe('suspended');
    expect(byId.get(ids['delta']!)!.status.serviceStatus).toBe('error');
    expect(body.items.every((item) => item.password === '[redacted]')).toBe(true);
  });

  it('filters by Service Status and by text in description, mailbox and host', async () => {
    const names = async (query: string) =>
      (await api<Page<Item>>('GET', `/v1/connectors?${query}`)).body.items.map((item) => item.id);
    expect(await names('serviceStatus=suspended')).toEqual([ids['charlie']]);
    expect(await names('serviceStatus=ok,error')).toEqual([ids['alpha'], ids['delta']]);
    expect(await names('q=ALPHA')).toEqual([ids['alpha']]);
    expect(await names('q=charlie.test')).toEqual([ids['charlie']]);
    expect(await names(`q=special-${run}`)).toEqual([ids['echo']]);
    // % and _ are text, not wildcards.
    expect(await names('q=100%25')).toEqual([ids['bravo']]);
    expect(await names('q=_')).toEqual([]);
    expect(await names('q=pop.&serviceStatus=awaiting-initial-run')).toEqual([ids['bravo'], ids['echo']]);
  });

  it('sorts and walks pages by cursor without repeating or skipping', async () => {
    const { items, pages } = await walk<Item>(api, '/v1/connectors?sort=-description&limit=2');
    expect(pages).toBe(3);
    expect(items.map((item) => item.description)).toEqual([
      `Echo ${run}`,
      `Delta ${run}`,
      `Charlie ${run}`,
      `bravo 100% ${run}`,
      `Alpha ${run}`,
    ]);
    const byStatus = await walk<Item>(api, '/v1/connectors?sort=serviceStatus&limit=1');
    expect(byStatus.items.map((item) => item.status.serviceStatus)).toEqual([
      'awaiting-initial-run',
      'awaiting-initial-run',
      'ok',
      'error',
      'suspended',
    ]);
  });

  it('refuses a bad limit, sort, status or cursor with the field named', async () => {
    const first = await api<Page<Item>>('GET', '/v1/connectors?limit=2&sort=host');
    for (const query of [
      'limit=0',
      'limit=201',
      'sort=password',
      'serviceStatus=broken',
      'cursor=not-a-cursor!',
      `cursor=${first.body.nextCursor}`, // a cursor of another sort
      'colour=red',
    ]) {
      const response = await api<ApiErrorBody>('GET', `/v1/connectors?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error).toBe('validation');
      expect(response.body.fields?.length, query).toBeGreaterThan(0);
    }
  });

  it('pages the event log by cursor and keeps page/pageSize working', async () => {
    const id = ids['echo']!;
    for (let n = 1; n <= 4; n++) await api('PATCH', `/v1/connectors/${id}`, { description: `Echo ${run} v${n}` });
    const { items, pages } = await walk<{ id: string; action: string }>(api, `/v1/connectors/${id}/events?limit=2`);
    expect(pages).toBe(3);
    expect(items.map((event) => event.action)).toEqual(['updated', 'updated', 'updated', 'updated', 'created']);
    expect(new Set(items.map((event) => event.id)).size).toBe(5);

    const offset = await api<Page<{ id: string }>>('GET', `/v1/connectors/${id}/events?page=2&pageSize=2`);
    expect(offset.body).toMatchObject({ page: 2, pageSize: 2, total: 5 });
    expect(offset.body.items.map((event) => event.id)).toEqual(items.slice(2, 4).map((event) => event.id));
    const continued = await api<Page<{ id: string }>>(
      'GET',
      `/v1/connectors/${id}/events?limit=5&cursor=${offset.body.nextCursor}`,
    );
    expect(continued.body.items.map((event) => event.id)).toEqual([items[4]!.id]);
    expect(continued.body.nextCursor).toBeNull();

    const both = await api<ApiErrorBody>('GET', `/v1/connectors/${id}/events?page=1&limit=2`);
    expect(both.status).toBe(400);
    const auditCursor = (await api<Page<unknown>>('GET', `/v1/audit?connectorId=${id}&limit=1`)).body.nextCursor;
    const foreign = await api<ApiErrorBody>('GET', `/v1/connectors/${id}/events?cursor=${auditCursor}`);
    expect(foreign.status).toBe(400);

    const audit = await walk<{ action: string }>(api, `/v1/audit?connectorId=${id}&limit=3`);
    expect(audit.items.map((entry) => entry.action)).toEqual([
      'connector.updated',
      'connector.updated',
      'connector.updated',
      'connector.updated',
      'connector.created',
    ]);
  });

  it('pages the directory lists by cursor, with a text search', async () => {
    for (const domain of ['b.example', 'a.example', 'c.example', 'd.other']) {
      expect((await api('POST', '/v1/directory/domains', { domain })).status).toBe(201);
    }
    for (const address of ['carol@a.example', 'alice@a.example', 'bob@b.example']) {
      expect((await api('POST', '/v1/directory/addresses', { address, aliases: [`x-${address}`] })).status).toBe(201);
    }
    const domains = await walk<{ domain: string }>(api, '/v1/directory/domains?limit=3');
    expect(domains.pages).toBe(2);
    expect(domains.items.map((row) => row.domain)).toEqual(['a.example', 'b.example', 'c.example', 'd.other']);
    const examples = await walk<{ domain: string }>(api, '/v1/directory/domains?limit=1&q=EXAMPLE');
    expect(examples.items.map((row) => row.domain)).toEqual(['a.example', 'b.example', 'c.example']);

    const addresses = await walk<{ address: string; aliases: string[] }>(api, '/v1/directory/addresses?limit=2');
    expect(addresses.items).toEqual([
      expect.objectContaining({ address: 'alice@a.example', aliases: ['x-alice@a.example'] }),
      expect.objectContaining({ address: 'bob@b.example', aliases: ['x-bob@b.example'] }),
      expect.objectContaining({ address: 'carol@a.example', aliases: ['x-carol@a.example'] }),
    ]);
    const wrongList = await api<ApiErrorBody>(
      'GET',
      `/v1/directory/addresses?cursor=${(await api<Page<unknown>>('GET', '/v1/directory/domains?limit=1')).body.nextCursor}`,
    );
    expect(wrongList.status).toBe(400);
  });
});
