import { z } from 'zod';
import { SERVICE_STATES, type ConnectorListItem, type ServiceState } from '#contracts';
import { cursorParams, decodeCursor, searchParam, pageOf, type CursorKey, type CursorPage } from '../paging/cursor.js';
import { expected } from '../http/formats.js';

const SORT_KEYS = {
  createdAt: (item) => item.createdAt,
  updatedAt: (item) => item.updatedAt,
  description: (item) => item.description.toLowerCase(),
  host: (item) => item.host.toLowerCase(),
  mailboxName: (item) => item.mailboxName.toLowerCase(),
  serviceEmailAddress: (item) => item.serviceEmailAddress.toLowerCase(),
  serviceStatus: (item) => SERVICE_STATES.indexOf(item.status.serviceStatus),
  lastSuccessfulExtract: (item) => item.status.lastSuccessfulExtract,
  processingQueue: (item) => item.status.processingQueue,
  pop3MailboxQueue: (item) => item.status.pop3MailboxQueue,
} as const satisfies Record<string, (item: ConnectorListItem) => string | number | null>;
export type ConnectorSortField = keyof typeof SORT_KEYS;
export const CONNECTOR_SORT_FIELDS = Object.keys(SORT_KEYS) as ConnectorSortField[];
const SORT_VALUES = CONNECTOR_SORT_FIELDS.flatMap((field) => [field, `-${field}`]);

export const MAX_CONNECTOR_LIMIT = 200;

export const connectorListQuerySchema = z.strictObject({
  ...cursorParams(50, MAX_CONNECTOR_LIMIT),
  q: searchParam(200),
  serviceStatus: z
    .string(expected(`one or more of ${SERVICE_STATES.join(', ')} (comma-separated)`))
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(
      z
        .array(z.enum(SERVICE_STATES, expected(`one or more of ${SERVICE_STATES.join(', ')} (comma-separated)`)))
        .max(SERVICE_STATES.length),
    )
    .optional(),
  sort: z
    .string(expected(`a sort field: ${CONNECTOR_SORT_FIELDS.join(', ')}; prefix - for descending`))
    .refine((value) => SORT_VALUES.includes(value), {
      message: `expected a sort field: ${CONNECTOR_SORT_FIELDS.join(', ')}; prefix - for descending`,
    })
    .default('createdAt'),
});
export type ConnectorListQuery = z.output<typeof connectorListQuerySchema>;

/** Null after every value (ascending), like PostgreSQL's default. */
function compareValue(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function compareKeys(a: CursorKey, b: CursorKey): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const order = compareValue(a[index] ?? null, b[index] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * Filters by Service Status, sorts (ties by id) and returns the page after the cursor. The
 * cursor is the last item's sort key, so a page never repeats or skips an unchanged item
 * even when others are added or removed in between. The text search runs in SQL beforehand.
 */
export function listPage(items: ConnectorListItem[], query: ConnectorListQuery): CursorPage<ConnectorListItem> {
  const descending = query.sort.startsWith('-');
  const field = (descending ? query.sort.slice(1) : query.sort) as ConnectorSortField;
  const list = `connectors:${query.sort}`;
  const keyOf = (item: ConnectorListItem): CursorKey => [SORT_KEYS[field](item), item.id];
  const direction = descending ? -1 : 1;
  const wanted = query.serviceStatus ? new Set<ServiceState>(query.serviceStatus) : null;
  const after = query.cursor === undefined ? null : decodeCursor(list, query.cursor);
  const sorted = items
    .filter((item) => !wanted || wanted.has(item.status.serviceStatus))
    .map((item) => ({ item, key: keyOf(item) }))
    .filter(({ key }) => !after || direction * compareKeys(key, after) > 0)
    .sort((a, b) => direction * compareKeys(a.key, b.key))
    .map(({ item }) => item);
  return pageOf(list, sorted.slice(0, query.limit + 1), query.limit, keyOf);
}
