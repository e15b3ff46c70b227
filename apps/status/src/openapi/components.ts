import { z } from 'zod';
import { apiErrorBodySchema, SERVICE_STATES } from '#contracts';
import {
  CONNECTOR_JOURNAL_TYPES,
  ENCRYPTION_MODES,
  MIN_TLS_VERSIONS,
  TLS_TRANSPORTS,
  TOKEN_SCOPES,
  TRANSPORT_TYPES,
} from '#persistence';
import { createConnectorSchema, testExtractionSchema, updateConnectorSchema } from '../connectors/connector.schemas.js';
import { createTokenSchema } from '../tokens/tokens.schemas.js';
import {
  addressInputSchema,
  addressPatchSchema,
  domainInputSchema,
  domainPatchSchema,
  importJsonSchema,
} from '../directory/directory.schemas.js';

const iso = z.string().describe('ISO 8601 time');
const counters = z.object({
  extracted: z.number().int(),
  archived: z.number().int(),
  rejected: z.number().int(),
  deadLettered: z.number().int(),
  merged: z.number().int(),
});

const connector = z.object({
  id: z.uuid(),
  description: z.string(),
  transportType: z.enum(TRANSPORT_TYPES),
  serviceEmailAddress: z.string(),
  mailboxName: z.string(),
  password: z.literal('[redacted]').describe('Write-only: always "[redacted]" in responses'),
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

const connectorStatus = z.object({
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
  counters,
  updatedAt: iso,
  display: z.object({ serviceStatus: z.string(), lastSuccessfulExtract: z.string() }),
  warnings: z.array(z.string()).describe('Settings that work but weaken the connection (e.g. minTlsVersion below 1.2)'),
});

const event = z.object({
  id: z.string(),
  at: iso,
  actor: z.string().describe('Name of the API token that made the change'),
  action: z.string().describe('created | updated | suspended | resumed | deleted | test-extraction'),
  details: z.record(z.string(), z.unknown()),
});

const probeStep = z.object({
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

const testExtraction = z.object({
  connectorId: z.uuid(),
  testedAt: iso,
  ok: z.boolean(),
  steps: z.array(probeStep),
  warnings: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  mailbox: z.object({ count: z.number().int(), size: z.number().int() }).optional(),
});

const domain = z.object({ domain: z.string(), includeSubdomains: z.boolean(), createdAt: iso });
const address = z.object({
  address: z.string(),
  displayName: z.string().nullable(),
  aliases: z.array(z.string()),
  createdAt: iso,
});

const apiToken = z.object({
  id: z.uuid(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES).describe('read < operate < admin (each includes the ones before)'),
  createdAt: iso,
  expiresAt: iso.nullable(),
  lastUsedAt: iso.nullable().describe('Refreshed at most once a minute'),
  revokedAt: iso.nullable(),
});

const auditEvent = z.object({
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

const nextCursor = z
  .string()
  .nullable()
  .describe('Opaque; pass back as ?cursor= for the next page. null on the last page');

const position = z.object({ partition: z.number().int(), offset: z.string() });
const replay = z.object({ at: iso, by: z.string().describe('Token name'), rawRecord: position });
const outcome = z.object({
  id: z
    .string()
    .describe('Numeric for rejected and dead-lettered messages (the replay route takes it); skipped:<uidl>'),
  type: z.enum(['rejected', 'dead-lettered', 'skipped']),
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
  rawRecord: position.nullable().describe('The original raw record on journal.raw.v2'),
  source: z
    .object({ topic: z.string(), partition: z.number().int(), offset: z.string() })
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
  replay: replay.nullable(),
});

/** Named schemas of the OpenAPI document (inputs from the validation schemas themselves). */
export const COMPONENTS: Array<[name: string, schema: z.ZodType, io: 'input' | 'output']> = [
  ['Error', apiErrorBodySchema, 'output'],
  ['Connector', connector, 'output'],
  [
    'ConnectorList',
    z.object({
      items: z.array(connector.extend({ status: connectorStatus })),
      nextCursor,
    }),
    'output',
  ],
  ['CreateConnector', createConnectorSchema, 'input'],
  ['UpdateConnector', updateConnectorSchema, 'input'],
  ['ConnectorEvent', event, 'output'],
  [
    'ConnectorEventsPage',
    z.object({
      items: z.array(event),
      nextCursor: nextCursor,
      page: z.number().int().optional().describe('Offset paging only'),
      pageSize: z.number().int().optional().describe('Offset paging only'),
      total: z.number().int().optional().describe('Offset paging only'),
    }),
    'output',
  ],
  ['ConnectorStatus', connectorStatus, 'output'],
  ['TestExtractionReport', testExtraction, 'output'],
  ['TestExtractionSettings', testExtractionSchema, 'input'],
  ['ApiToken', apiToken, 'output'],
  ['CreateApiToken', createTokenSchema, 'input'],
  ['CreatedApiToken', apiToken.extend({ token: z.string().describe('The secret, shown once') }), 'output'],
  ['AuditEvent', auditEvent, 'output'],
  [
    'AuditPage',
    z.object({
      items: z.array(auditEvent),
      nextCursor: nextCursor,
      page: z.number().int().optional().describe('Offset paging only'),
      pageSize: z.number().int().optional().describe('Offset paging only'),
      total: z.number().int().optional().describe('Offset paging only'),
    }),
    'output',
  ],
  ['Outcome', outcome, 'output'],
  ['OutcomeList', z.object({ items: z.array(outcome), nextCursor }), 'output'],
  ['OutcomeReplay', z.object({ outcome, replay }), 'output'],
  ['Domain', domain, 'output'],
  ['DomainList', z.object({ items: z.array(domain), nextCursor }), 'output'],
  ['DomainInput', domainInputSchema, 'input'],
  ['DomainPatch', domainPatchSchema, 'input'],
  ['Address', address, 'output'],
  ['AddressList', z.object({ items: z.array(address), nextCursor }), 'output'],
  ['AddressInput', addressInputSchema, 'input'],
  ['AddressPatch', addressPatchSchema, 'input'],
  ['Directory', z.object({ revision: z.string(), domains: z.array(domain), addresses: z.array(address) }), 'output'],
  ['DirectoryImport', importJsonSchema, 'input'],
  [
    'DirectoryImportResult',
    z.object({
      revision: z.string(),
      mode: z.enum(['merge', 'replace']),
      domains: z.object({
        created: z.number().int(),
        updated: z.number().int(),
        unchanged: z.number().int(),
        deleted: z.number().int(),
      }),
      addresses: z.object({
        created: z.number().int(),
        updated: z.number().int(),
        unchanged: z.number().int(),
        deleted: z.number().int(),
      }),
      errors: z.array(z.object({ row: z.string(), value: z.string(), message: z.string() })),
    }),
    'output',
  ],
];

export function componentSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    COMPONENTS.map(([name, schema, io]) => [
      name,
      z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }),
    ]),
  );
}
