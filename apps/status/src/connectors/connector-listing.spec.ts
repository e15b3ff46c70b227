import { describe, expect, it } from 'vitest';
import { JournalwireError } from '#errors';
import type { ConnectorListItem } from '#contracts';
import { connectorListQuerySchema, listPage } from './connector-listing.js';

function item(id: string, description: string, serviceStatus: string, processingQueue = 0): ConnectorListItem {
  return {
    id,
    description,
    createdAt: `2026-01-0${id}T00:00:00.000Z`,
    status: { serviceStatus, processingQueue, lastSuccessfulExtract: null, pop3MailboxQueue: null },
  } as unknown as ConnectorListItem;
}

const items = [
  item('1', 'b', 'ok', 3),
  item('2', 'A', 'error', 3),
  item('3', 'c', 'ok', 1),
  item('4', 'a', 'suspended'),
];
const query = (input: Record<string, string>) => connectorListQuerySchema.parse(input);
const ids = (page: { items: ConnectorListItem[] }) => page.items.map((entry) => entry.id);

describe('listPage', () => {
  it('sorts case-insensitively with ties broken by id, in either direction', () => {
    expect(ids(listPage(items, query({ sort: 'description' })))).toEqual(['2', '4', '1', '3']);
    expect(ids(listPage(items, query({ sort: '-description' })))).toEqual(['3', '1', '4', '2']);
    expect(ids(listPage(items, query({ sort: '-processingQueue' })))).toEqual(['2', '1', '3', '4']);
  });

  it('walks every item once by cursor, even when an item before the cursor disappears', () => {
    const first = listPage(items, query({ sort: 'description', limit: '2' }));
    expect(ids(first)).toEqual(['2', '4']);
    const rest = listPage(
      items.filter((entry) => entry.id !== '2'),
      query({ sort: 'description', limit: '2', cursor: first.nextCursor! }),
    );
    expect(ids(rest)).toEqual(['1', '3']);
    expect(rest.nextCursor).toBeNull();
  });

  it('filters by status', () => {
    expect(ids(listPage(items, query({ serviceStatus: 'ok,suspended' })))).toEqual(['1', '3', '4']);
  });

  it('refuses a cursor of another sort order', () => {
    const first = listPage(items, query({ sort: 'description', limit: '1' }));
    expect(() => listPage(items, query({ sort: 'createdAt', cursor: first.nextCursor! }))).toThrow(JournalwireError);
  });

  it('validates the query', () => {
    for (const input of [{ limit: '0' }, { limit: '201' }, { sort: 'password' }, { serviceStatus: 'ok,nope' }]) {
      expect(connectorListQuerySchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
    expect(query({ q: '  ' }).q).toBeUndefined();
  });
});
