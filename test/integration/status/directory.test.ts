import type { Redis } from 'ioredis';
import type { ApiErrorBody } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '#test-support';
import {
  startStatusHarness,
  statusRedis,
  type ApiClient,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';

interface Directory {
  revision: string;
  domains: Array<{ domain: string; includeSubdomains: boolean }>;
  addresses: Array<{ address: string; displayName: string | null; aliases: string[] }>;
}
interface ImportResult {
  revision: string;
  mode: string;
  domains: Record<string, number>;
  addresses: Record<string, number>;
  errors: Array<{ row: string; value: string; message: string }>;
}

describe('status API: the internal-address directory', () => {
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let api: ApiClient;
  let subscriber: Redis;
  const announced: Array<{ revision: string; at: string }> = [];

  const revision = async () => Number((await api<Directory>('GET', '/v1/directory')).body.revision);
  const expectAnnounced = (rev: number) =>
    waitFor(`jw:directory-changed revision ${rev}`, async () => announced.map((m) => Number(m.revision)), {
      until: (revs) => revs.includes(rev),
      timeoutMs: 5_000,
      everyMs: 50,
    });

  beforeAll(async () => {
    // The directory is global: never touch the shared database.
    ({ db, status, api } = await startStatusHarness({ tokenName: 'directory-tester' }));
    subscriber = statusRedis();
    subscriber.on('message', (_channel: string, message: string) =>
      announced.push(JSON.parse(message) as { revision: string; at: string }),
    );
    await subscriber.subscribe('jw:directory-changed');
  });

  afterAll(async () => {
    await subscriber?.quit();
    await status?.service.stop();
    await db?.drop();
  });

  it('domains: create (normalised), conflict, read, patch, delete; each change bumps and announces the revision', async () => {
    const start = await revision();
    const created = await api('POST', '/v1/directory/domains', { domain: 'Contoso.TEST' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ domain: 'contoso.test', includeSubdomains: false });
    expect(await revision()).toBe(start + 1);
    await expectAnnounced(start + 1);

    const duplicate = await api<ApiErrorBody>('POST', '/v1/directory/domains', { domain: 'contoso.test' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ error: 'conflict', message: expect.stringContaining('contoso.test') });

    const invalid = await api<ApiErrorBody>('POST', '/v1/directory/domains', {
      domain: 'not a domain',
      includeSubdomains: 'yes',
      extra: 1,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.fields?.map((f) => f.field).sort()).toEqual(['domain', 'extra', 'includeSubdomains']);
    expect(await revision()).toBe(start + 1);

    expect((await api('PATCH', '/v1/directory/domains/contoso.test', { includeSubdomains: true })).body).toMatchObject({
      includeSubdomains: true,
    });
    expect(await revision()).toBe(start + 2);
    await api('PATCH', '/v1/directory/domains/contoso.test', { includeSubdomains: true }); // no change, no bump
    expect(await revision()).toBe(start + 2);
    expect((await api('GET', '/v1/directory/domains/contoso.test')).body).toMatchObject({
      domain: 'contoso.test',
      includeSubdomains: true,
    });
    expect((await api<{ items: unknown[] }>('GET', '/v1/directory/domains')).body.items).toHaveLength(1);

    expect((await api('DELETE', '/v1/directory/domains/contoso.test')).status).toBe(204);
    expect(await revision()).toBe(start + 3);
    const gone = await api<ApiErrorBody>('GET', '/v1/directory/domains/contoso.test');
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('not-found');
    await expectAnnounced(start + 3);
  });

  it('addresses: aliases are unique across addresses and aliases', async () => {
    const created = await api('POST', '/v1/directory/addresses', {
      address: 'Alice@Contoso.test',
      displayName: 'Alice Smith',
      aliases: ['al@contoso.test', 'A.Smith@contoso.test', 'al@contoso.test'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      address: 'alice@contoso.test',
      displayName: 'Alice Smith',
      aliases: ['a.smith@contoso.test', 'al@contoso.test'],
    });

    const takenAlias = await api<ApiErrorBody>('POST', '/v1/directory/addresses', {
      address: 'bob@contoso.test',
      aliases: ['al@contoso.test'],
    });
    expect(takenAlias.status).toBe(409);
    expect(takenAlias.body.message).toMatch(/al@contoso.test is already an alias of alice@contoso.test/);
    const addressIsAlias = await api<ApiErrorBody>('POST', '/v1/directory/addresses', { address: 'al@contoso.test' });
    expect(addressIsAlias.status).toBe(409);
    const aliasIsAddress = await api<ApiErrorBody>('POST', '/v1/directory/addresses', {
      address: 'bob@contoso.test',
      aliases: ['alice@contoso.test'],
    });
    expect(aliasIsAddress.status).toBe(409);
    const badAlias = await api<ApiErrorBody>('POST', '/v1/directory/addresses', {
      address: 'bob@contoso.test',
      aliases: ['bob-at-contoso'],
    });
    expect(badAlias.status).toBe(400);
    expect(badAlias.body.fields).toEqual([{ field: 'aliases.0', message: expect.stringMatching(/e-mail address/) }]);

    const patched = await api('PATCH', '/v1/directory/addresses/alice@contoso.test', {
      aliases: ['alice.smith@contoso.test'],
      displayName: null,
    });
    expect(patched.body).toMatchObject({ displayName: null, aliases: ['alice.smith@contoso.test'] });
    // The released alias can now be used by another address.
    expect(
      (await api('POST', '/v1/directory/addresses', { address: 'bob@contoso.test', aliases: ['al@contoso.test'] }))
        .status,
    ).toBe(201);

    expect((await api('DELETE', '/v1/directory/addresses/alice@contoso.test')).status).toBe(204);
    expect((await api('GET', '/v1/directory/addresses/alice@contoso.test')).status).toBe(404);
    expect(
      (
        await api('POST', '/v1/directory/addresses', {
          address: 'carol@contoso.test',
          aliases: ['alice.smith@contoso.test'],
        })
      ).status,
    ).toBe(201);
  });

  it('imports JSON, applying the valid rows and reporting each bad row', async () => {
    const before = await revision();
    const response = await api<ImportResult>('POST', '/v1/directory/import', {
      domains: [
        'fabrikam.test',
        '*.northwind.test',
        { domain: 'bad domain!' },
        { domain: 'tailspin.test', includeSubdomains: true },
        'FABRIKAM.test',
      ],
      addresses: [
        'dave@fabrikam.test',
        { address: 'erin@fabrikam.test', displayName: 'Erin', aliases: ['e@fabrikam.test'] },
        'not-an-address',
        { address: 'frank@fabrikam.test', aliases: ['e@fabrikam.test'] },
        { address: 'gina@fabrikam.test', aliases: [], colour: 'red' },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.domains).toEqual({ created: 3, updated: 0, unchanged: 0, deleted: 0 });
    expect(response.body.addresses).toEqual({ created: 2, updated: 0, unchanged: 0, deleted: 0 });
    expect(response.body.errors.map((e) => e.row)).toEqual([
      'domains[2]',
      'domains[4]',
      'addresses[2]',
      'addresses[4]',
      'addresses[3]',
    ]);
    expect(response.body.errors.find((e) => e.row === 'addresses[3]')?.message).toMatch(
      /e@fabrikam.test already belongs to erin@fabrikam.test/,
    );
    expect(response.body.errors.find((e) => e.row === 'addresses[4]')?.message).toMatch(/colour: unknown field/);
    expect(Number(response.body.revision)).toBe(before + 1);
    await expectAnnounced(before + 1);

    const directory = (await api<Directory>('GET', '/v1/directory')).body;
    expect(directory.domains).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: 'fabrikam.test', includeSubdomains: false }),
        expect.objectContaining({ domain: 'northwind.test', includeSubdomains: true }),
        expect.objectContaining({ domain: 'tailspin.test', includeSubdomains: true }),
      ]),
    );
    expect(directory.addresses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ address: 'erin@fabrikam.test', displayName: 'Erin', aliases: ['e@fabrikam.test'] }),
      ]),
    );

    // The same import again changes nothing and does not bump the revision.
    const again = await api<ImportResult>('POST', '/v1/directory/import', {
      domains: ['fabrikam.test'],
      addresses: ['dave@fabrikam.test'],
    });
    expect(again.body.domains.unchanged).toBe(1);
    expect(again.body.addresses.unchanged).toBe(1);
    expect(Number(again.body.revision)).toBe(before + 1);
  });

  it('imports CSV with line-numbered errors', async () => {
    const csv = [
      'type,value,aliases,displayName',
      '# internal domains',
      'domain,adatum.test,subdomains',
      'domain,litware.test',
      '',
      'address,henry@adatum.test,h@adatum.test;henry.k@adatum.test,"Kay, Henry"',
      'address,ivy@adatum.test',
      'domain,bad_domain',
      'mailbox,x@adatum.test',
      'domain,litware.test,maybe',
      'address,jack@adatum.test,henry.k@adatum.test',
    ].join('\r\n');
    const response = await api<ImportResult>('POST', '/v1/directory/import', csv, { contentType: 'text/csv' });
    expect(response.status).toBe(200);
    expect(response.body.domains.created).toBe(2);
    expect(response.body.addresses.created).toBe(2);
    expect(response.body.errors.map((e) => e.row)).toEqual(['line 9', 'line 10', 'line 8', 'line 11']);
    expect(response.body.errors.find((e) => e.row === 'line 9')?.message).toMatch(/unknown row type/);
    const henry = await api('GET', '/v1/directory/addresses/henry@adatum.test');
    expect(henry.body).toMatchObject({ displayName: 'Kay, Henry', aliases: ['h@adatum.test', 'henry.k@adatum.test'] });
    expect((await api('GET', '/v1/directory/domains/adatum.test')).body).toMatchObject({ includeSubdomains: true });
  });

  it('refuses a CSV with an unclosed quote, naming its line, and imports nothing of it', async () => {
    const before = (await api<Directory>('GET', '/v1/directory')).body.revision;
    const csv = ['domain,first.test', 'address,kim@first.test,,"Kim', 'domain,second.test', 'domain,third.test'].join(
      '\n',
    );
    const response = await api<{ error: string; message: string; fields: Array<{ field: string }> }>(
      'POST',
      '/v1/directory/import',
      csv,
      { contentType: 'text/csv' },
    );
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/CSV syntax error at line 2: .*never closed/);
    expect(response.body.fields).toEqual([expect.objectContaining({ field: 'line 2' })]);
    expect((await api<Directory>('GET', '/v1/directory')).body.revision).toBe(before);
    expect((await api('GET', '/v1/directory/domains/first.test')).status).toBe(404);
  });

  it('replace mode makes the directory exactly the import, all or nothing', async () => {
    const before = (await api<Directory>('GET', '/v1/directory')).body;
    const refused = await api<ApiErrorBody>('POST', '/v1/directory/import?mode=replace', {
      domains: ['only.test', 'bad domain'],
      addresses: [],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual([{ field: 'domains[1]', message: expect.stringMatching(/bad domain/) }]);
    expect((await api<Directory>('GET', '/v1/directory')).body).toEqual(before);

    const replaced = await api<ImportResult>(
      'POST',
      '/v1/directory/import?mode=replace',
      'domain,only.test\naddress,kim@only.test,k@only.test\naddress,erin@fabrikam.test,e@fabrikam.test,Erin\n',
      {
        contentType: 'text/csv',
      },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body.domains).toMatchObject({ created: 1, deleted: before.domains.length });
    expect(replaced.body.addresses).toMatchObject({ created: 1, unchanged: 1, deleted: before.addresses.length - 1 });
    const after = (await api<Directory>('GET', '/v1/directory')).body;
    expect(after.domains.map((d) => d.domain)).toEqual(['only.test']);
    expect(after.addresses.map((a) => [a.address, a.aliases])).toEqual([
      ['erin@fabrikam.test', ['e@fabrikam.test']],
      ['kim@only.test', ['k@only.test']],
    ]);
  });

  it('refuses an empty import, an unknown mode and an unsupported content type', async () => {
    expect((await api<ApiErrorBody>('POST', '/v1/directory/import', {})).body.message).toMatch(/no rows/);
    expect(
      (await api<ApiErrorBody>('POST', '/v1/directory/import?mode=sync', { domains: ['a.test'] })).body.fields,
    ).toEqual([{ field: 'mode', message: expect.stringMatching(/merge or replace/) }]);
    const xml = await api<ApiErrorBody>('POST', '/v1/directory/import', '<directory/>', {
      contentType: 'application/xml',
    });
    expect(xml.status).toBe(400);
    expect(xml.body.message).toMatch(/Unsupported content type/);
  });
});
