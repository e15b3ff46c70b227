import { z } from 'zod';
import {
  CONNECTOR_JOURNAL_TYPES,
  ENCRYPTION_MODES,
  MIN_TLS_VERSIONS,
  SERVICE_STATES,
  TLS_TRANSPORTS,
  TOKEN_SCOPES,
  TRANSPORT_TYPES,
} from './vocabulary.js';
import { apiErrorBodySchema } from './api-error.js';

/**
 * The response bodies of the status REST API: the one source for the service's view types, the
 * OpenAPI components (apps/status/src/openapi/components.ts), the console's types
 * (apps/console/src/api.ts) and the integration tests' check of every response they receive.
 * This file imports nothing but zod and the vocabulary, so the browser console can use its types.
 */

const iso = z.string().describe('ISO 8601 time');

/** An object of whole numbers (counters, counts, limits), one per key. */
function wholeNumbers<K extends string>(...keys: K[]) {
  return z.object(Object.fromEntries(keys.map((key) => [key, z.number().int()])) as Record<K, z.ZodNumber>);
}

const nextCursor = z
  .string()
  .nullable()
  .describe('Opaque; pass back as ?cursor= for the next page. null on the last page');

/** A page of a cursor-paged list. */
export function cursorPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor });
}

/** A page of any cursor-paged list, for clients that page generically. */
export type ListPage<T> = Omit<z.infer<ReturnType<typeof cursorPageSchema>>, 'items'> & { items: T[] };

/** A page of a newest-first log: always nextCursor; page, pageSize and total only in the offset mode. */
export function logPageSchema<T extends z.ZodType>(item: T) {
  const offsetOnly = z.number().int().optional().describe('Offset paging only');
  return cursorPageSchema(item).extend({ page: offsetOnly, pageSize: offsetOnly, total: offsetOnly });
}

export const REDACTED = '[redacted]';

/** A journal service definition as the API shows it: the password is never returned. */
export const connectorViewSchema = z.object({
  id: z.uuid(),
  description: z.string(),
  transportType: z.enum(TRANSPORT_TYPES),
  serviceEmailAddress: z.string(),
  mailboxName: z.string(),
  password: z.literal(REDACTED).describe('Write-only: always "[redacted]" in responses'),
  host: z.string(),
  port: z.number().int(),
  encrypted: z.boolean(),
  tlsTransport: z.enum(TLS_TRANSPORTS),
  encryptionMode: z.enum(ENCRYPTION_MODES),
  minTlsVersion: z
    .enum(MIN_TLS_VERSIONS)
    .describe('Oldest TLS version accepted; below TLSv1.2 only for servers that cannot do better (Exchange 2007/2010)'),
  caCertificate: z.string().nullable(),
  journalType: z.enum(CONNECTOR_JOURNAL_TYPES).describe('envelope = Exchange Envelope Journaling; eml = Standard EML'),
  removeJournalHeaders: z.boolean(),
  detailedLogging: z.boolean(),
  journalNonInternalAddresses: z.boolean(),
  journalUnknownInternalAddresses: z.boolean(),
  suspended: z.boolean(),
  allowEmptyDirectory: z
    .boolean()
    .describe('Extract even while the directory has no internal domain (default false: the connector waits for one)'),
  pollIntervalSeconds: z.number().int(),
  maxMessagesPerSession: z.number().int(),
  createdAt: iso,
  updatedAt: iso,
  version: z.number().int(),
});
export type ConnectorView = z.infer<typeof connectorViewSchema>;

/** The counters of one connector, as the REST status and the gRPC message carry them. */
export const statusCountersSchema = wholeNumbers('extracted', 'archived', 'rejected', 'deadLettered', 'merged');
export type StatusCounters = z.infer<typeof statusCountersSchema>;

/** The Service Status section of a journal service definition, as GET …/status returns it. */
export const connectorStatusViewSchema = z.object({
  connectorId: z.uuid(),
  serviceStatus: z.enum(SERVICE_STATES),
  lastSuccessfulExtract: iso.nullable().describe('null: "Awaiting initial run"'),
  processingQueue: z.number().int().describe('Extracted but not yet archived, rejected, merged or dead-lettered'),
  pop3MailboxQueue: z
    .number()
    .int()
    .nullable()
    .describe('Messages in the mailbox at the last connection; null if never reached'),
  lastError: z.object({ code: z.string(), message: z.string(), at: iso }).nullable(),
  counters: statusCountersSchema,
  updatedAt: iso,
  display: z
    .object({ serviceStatus: z.string(), lastSuccessfulExtract: z.string() })
    .describe('The labels an operator console shows'),
  warnings: z.array(z.string()).describe('Settings that work but weaken the connection (e.g. minTlsVersion below 1.2)'),
});
export type ConnectorStatusView = z.infer<typeof connectorStatusViewSchema>;
export const connectorStatusListSchema = z.object({ items: z.array(connectorStatusViewSchema) });

export const connectorListItemSchema = connectorViewSchema.extend({ status: connectorStatusViewSchema });
export type ConnectorListItem = z.infer<typeof connectorListItemSchema>;
export const connectorListSchema = cursorPageSchema(connectorListItemSchema);

/** One entry of a connector's event log. */
export const connectorEventSchema = z.object({
  id: z.string(),
  at: iso,
  actor: z.string().describe('Name of the API token that made the change'),
  action: z.string().describe('created | updated | suspended | resumed | deleted | test-extraction'),
  details: z.record(z.string(), z.unknown()),
});
export type ConnectorEventView = z.infer<typeof connectorEventSchema>;
export const connectorEventsPageSchema = logPageSchema(connectorEventSchema);

const probeStepSchema = z.object({
  step: z.enum(['name-resolution', 'tcp', 'tls', 'greeting', 'capabilities', 'stls', 'authentication', 'stat']),
  ok: z.boolean(),
  ms: z.number(),
  detail: z.string().optional(),
  tls: z
    .object({
      protocol: z.string().nullable(),
      subject: z.string(),
      issuer: z.string(),
      fingerprint256: z.string(),
      validFrom: z.string(),
      validTo: z.string(),
      authorized: z.boolean(),
      authorizationError: z.string().nullable(),
    })
    .optional(),
});

/** What Test Journal Extraction found (a failed probe is ok:false, not an API error). */
export const testExtractionReportSchema = z.object({
  connectorId: z.uuid(),
  testedAt: iso,
  ok: z.boolean(),
  steps: z.array(probeStepSchema),
  warnings: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  mailbox: z.object({ count: z.number().int(), size: z.number().int() }).optional(),
});
export type TestExtractionReport = z.infer<typeof testExtractionReportSchema>;

/** An API token as listed (never its secret). */
export const apiTokenViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES).describe('read < operate < admin (each includes the ones before)'),
  createdAt: iso,
  expiresAt: iso.nullable(),
  lastUsedAt: iso.nullable().describe('Refreshed at most once a minute'),
  revokedAt: iso.nullable(),
});
export type ApiTokenView = z.infer<typeof apiTokenViewSchema>;
export const apiTokenListSchema = z.object({ items: z.array(apiTokenViewSchema) });
export const createdApiTokenSchema = apiTokenViewSchema.extend({
  token: z.string().describe('The secret, shown once'),
});

/** One entry of the audit log. */
export const auditEventSchema = z.object({
  id: z.string(),
  at: iso,
  actor: z.object({
    tokenId: z.uuid().nullable().describe('null: the command line'),
    name: z.string(),
    address: z.string().nullable(),
  }),
  action: z.string().describe('connector.updated, directory.domain.created, token.revoked, …'),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  connectorId: z.uuid().nullable(),
  details: z.record(z.string(), z.unknown()).describe('What changed; secrets only as {"changed": true}'),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;
export const auditPageSchema = logPageSchema(auditEventSchema);

/** What GET /v1/connectors/:id/outcomes lists (`type` is required). */
export const LISTED_OUTCOME_TYPES = ['rejected', 'dead-lettered', 'skipped'] as const;
export type ListedOutcomeType = (typeof LISTED_OUTCOME_TYPES)[number];

/** Where a record sits on its topic's partition. */
const positionSchema = z.object({ partition: z.number().int(), offset: z.string() });

/** One replay: when, by whom, and the raw record it produced. */
export const replayViewSchema = z.object({ at: iso, by: z.string().describe('Token name'), rawRecord: positionSchema });
export type ReplayView = z.infer<typeof replayViewSchema>;

/** A rejected, dead-lettered or skipped message, as the outcomes list shows it. */
export const outcomeViewSchema = z.object({
  id: z
    .string()
    .describe('Numeric for rejected and dead-lettered messages (the replay route takes it); skipped:<uidl>'),
  type: z.enum(LISTED_OUTCOME_TYPES),
  connectorId: z.string(),
  at: iso,
  reason: z.string().describe('Rejection reason, dead letter error code, or retrieval-failed'),
  error: z.string().nullable(),
  stage: z.string().nullable().describe('envelope | policy | poller'),
  messageId: z.string().nullable(),
  sender: z.string().nullable(),
  subject: z.string().nullable(),
  uidl: z.string().nullable(),
  sha256: z.string().nullable(),
  attempts: z.number().int().nullable().describe('Skipped messages: failed retrievals'),
  rawRecord: positionSchema.nullable().describe('The original raw record on journal.raw.v2'),
  source: positionSchema
    .extend({ topic: z.string() })
    .nullable()
    .describe('The outcome record (journal.rejected.v2 / journal.dlq.v2)'),
  message: z
    .union([
      z.object({ inline: z.object({ size: z.number().int() }) }),
      z.object({
        claimCheck: z.object({ store: z.string(), key: z.string(), sha256: z.string(), size: z.number().int() }),
      }),
    ])
    .nullable()
    .describe('Where the bytes are: inline in the outcome record, or the claim-check blob'),
  replayable: z.boolean(),
  replay: replayViewSchema.nullable(),
});
export type OutcomeView = z.infer<typeof outcomeViewSchema>;
export const outcomeListSchema = cursorPageSchema(outcomeViewSchema);
export const outcomeReplaySchema = z.object({ outcome: outcomeViewSchema, replay: replayViewSchema });
export type OutcomeReplay = z.infer<typeof outcomeReplaySchema>;

export const domainViewSchema = z.object({ domain: z.string(), includeSubdomains: z.boolean(), createdAt: iso });
export type DomainView = z.infer<typeof domainViewSchema>;
export const domainListSchema = cursorPageSchema(domainViewSchema);

export const addressViewSchema = z.object({
  address: z.string(),
  displayName: z.string().nullable(),
  aliases: z.array(z.string()),
  createdAt: iso,
});
export type AddressView = z.infer<typeof addressViewSchema>;
export const addressListSchema = cursorPageSchema(addressViewSchema);

export const directoryViewSchema = z.object({
  revision: z.string(),
  domains: z.array(domainViewSchema),
  addresses: z.array(addressViewSchema),
});
export type DirectoryView = z.infer<typeof directoryViewSchema>;

const importCountsSchema = wholeNumbers('created', 'updated', 'unchanged', 'deleted');
export type ImportCounts = z.infer<typeof importCountsSchema>;

export const directoryImportResultSchema = z.object({
  revision: z.string(),
  mode: z.enum(['merge', 'replace']),
  domains: importCountsSchema,
  addresses: importCountsSchema,
  errors: z.array(z.object({ row: z.string(), value: z.string(), message: z.string() })),
});
export type DirectoryImportResult = z.infer<typeof directoryImportResultSchema>;

const protocolLogLineSchema = z.object({
  ms: z.number().describe('Milliseconds since the entry started'),
  direction: z.enum(['client', 'server']),
  line: z.string(),
});
export type ProtocolLogLine = z.infer<typeof protocolLogLineSchema>;

/** One recorded session or test extraction, as stored and as the API returns it. */
export const protocolLogEntrySchema = z.object({
  kind: z.enum(['session', 'test-extraction']),
  startedAt: iso,
  endedAt: iso,
  outcome: z.string().describe('Session outcome (completed, failed, …) or ok / failed for a test extraction'),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  lines: z.array(protocolLogLineSchema),
  omittedLines: z
    .number()
    .int()
    .describe('Lines left out in the middle of a long session to stay within the byte bound'),
});
export type ProtocolLogEntry = z.infer<typeof protocolLogEntrySchema>;
export type ProtocolLogKind = ProtocolLogEntry['kind'];

/** GET /v1/connectors/:id/protocol-log: the redacted POP3 trace of recent sessions, newest first. */
export const protocolLogViewSchema = z.object({
  connectorId: z.uuid(),
  detailedLogging: z.boolean(),
  limits: wholeNumbers('sessions', 'bytesPerSession', 'lineChars', 'ttlSeconds').describe(
    'The bounds of the stored log',
  ),
  items: z.array(protocolLogEntrySchema),
});
export type ProtocolLogView = z.infer<typeof protocolLogViewSchema>;

/**
 * Every response body by its OpenAPI component name: the status service's document and
 * docs/schemas/status-api.responses.json are generated from this list (json-schemas.ts).
 */
export const API_VIEWS = {
  Error: apiErrorBodySchema,
  Connector: connectorViewSchema,
  ConnectorList: connectorListSchema,
  ConnectorEvent: connectorEventSchema,
  ConnectorEventsPage: connectorEventsPageSchema,
  ConnectorStatus: connectorStatusViewSchema,
  ConnectorStatusList: connectorStatusListSchema,
  TestExtractionReport: testExtractionReportSchema,
  ProtocolLog: protocolLogViewSchema,
  ApiToken: apiTokenViewSchema,
  ApiTokenList: apiTokenListSchema,
  CreatedApiToken: createdApiTokenSchema,
  AuditEvent: auditEventSchema,
  AuditPage: auditPageSchema,
  Outcome: outcomeViewSchema,
  OutcomeList: outcomeListSchema,
  OutcomeReplay: outcomeReplaySchema,
  Domain: domainViewSchema,
  DomainList: domainListSchema,
  Address: addressViewSchema,
  AddressList: addressListSchema,
  Directory: directoryViewSchema,
  DirectoryImportResult: directoryImportResultSchema,
} satisfies Record<string, z.ZodType>;
export type ApiViewName = keyof typeof API_VIEWS;
