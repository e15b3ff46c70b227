import { z } from 'zod';
import { API_VIEWS } from './api-views.js';
import { progressHeaderMapSchema } from './progress-record.js';
import { claimCheckSchema, rawHeaderMapSchema } from './raw-record.js';
import {
  archivedRecordSchema,
  classifiedRecordSchema,
  connectorStatusRecordSchema,
  deadLetterRecordSchema,
  rejectedRecordSchema,
} from './records.js';

/**
 * What each file of docs/schemas describes, generated from the zod schemas (`npm run
 * contracts:schema`), so consumers in other languages validate what the services validate.
 */
const DOCUMENTS: Array<{ file: string; title: string; description: string; schema: z.ZodType }> = [
  {
    file: 'journal.raw.v2.headers.json',
    title: 'journal.raw.v2 headers',
    description:
      'Kafka headers of a journal.raw.v2 record (UTF-8 strings). The value is the message, or a claim check.',
    schema: rawHeaderMapSchema,
  },
  {
    file: 'journal.classified.v2.meta.json',
    title: 'journal.classified.v2 metadata',
    description: 'The jw-meta header of a journal.classified.v2 record. The value is the message, or a claim check.',
    schema: classifiedRecordSchema,
  },
  {
    file: 'journal.archived.v2.meta.json',
    title: 'journal.archived.v2 metadata',
    description:
      'The jw-meta header of a journal.archived.v2 record. The value is the journal report (archive) or empty (merge); originals[] give byte ranges into it.',
    schema: archivedRecordSchema,
  },
  {
    file: 'journal.rejected.v2.meta.json',
    title: 'journal.rejected.v2 metadata',
    description: 'The jw-meta header of a journal.rejected.v2 record. The value is the message, or a claim check.',
    schema: rejectedRecordSchema,
  },
  {
    file: 'journal.dlq.v2.meta.json',
    title: 'journal.dlq.v2 metadata',
    description: "The jw-meta header of a journal.dlq.v2 record. The value is the failed record's message as it came.",
    schema: deadLetterRecordSchema,
  },
  {
    file: 'journal.progress.v1.headers.json',
    title: 'journal.progress.v1 headers',
    description:
      'Kafka headers of a journal.progress.v1 record (UTF-8 strings): one per record written to journal.raw.v2 (extracted) or journal.archived.v2 (archive, merge), in the same transaction. Key: the raw id; the value is empty.',
    schema: progressHeaderMapSchema,
  },
  {
    file: 'journal.status.v1.json',
    title: 'journal.status.v1 value',
    description: 'The JSON value of a journal.status.v1 record (compacted, key: connector id).',
    schema: connectorStatusRecordSchema,
  },
  {
    file: 'claim-check.json',
    title: 'Claim check',
    description:
      'The value of a record whose content-type is application/vnd.journalwire.claim-check+json: where the message is in the blob store.',
    schema: claimCheckSchema,
  },
];

/** The status REST API's response bodies, by component name (`openapi-3.0` for the service's OpenAPI document). */
export function apiViewJsonSchemas(target: 'openapi-3.0' | 'draft-2020-12'): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(API_VIEWS).map(([name, schema]) => [
      name,
      z.toJSONSchema(schema, { target, io: 'output', unrepresentable: 'any' }),
    ]),
  );
}

const API_VIEWS_FILE = 'status-api.responses.json';

/** docs/schemas/<file> → its JSON text (with a final newline), in a stable order. */
export function contractJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { file, title, description, schema } of DOCUMENTS) {
    const json = { ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }), title, description };
    files.set(file, `${JSON.stringify(json, null, 2)}\n`);
  }
  const views = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Status REST API responses',
    description:
      'The response bodies of the status REST API (the OpenAPI document at /docs-json has the same), by name under $defs.',
    $defs: Object.fromEntries(
      Object.entries(apiViewJsonSchemas('draft-2020-12')).map(([name, { $schema: _, ...schema }]) => [name, schema]),
    ),
  };
  files.set(API_VIEWS_FILE, `${JSON.stringify(views, null, 2)}\n`);
  return files;
}
