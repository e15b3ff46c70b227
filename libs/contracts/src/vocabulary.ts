/**
 * The closed sets of values the connector definitions, API tokens and statuses use: one source
 * for the entities' column types, the API's validation and its response schemas (api-views.ts).
 * Plain constants without Node.js imports, so the browser console can type-check against them.
 */
export const TRANSPORT_TYPES = ['pop3'] as const;
export const TLS_TRANSPORTS = ['implicit', 'starttls'] as const;
export const ENCRYPTION_MODES = ['strict', 'relaxed'] as const;
/** The oldest TLS version a connector accepts (as #pop3's TLS_VERSIONS); below 1.2 only by opt-in. */
export const MIN_TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;
export const CONNECTOR_JOURNAL_TYPES = ['envelope', 'eml'] as const;
/**
 * The connector settings that decide where and how the mailbox password is sent: changing any of
 * them needs the password in the same request (the status API's rule; the console asks for it).
 */
export const CREDENTIAL_DESTINATION_FIELDS = [
  'host',
  'port',
  'encrypted',
  'tlsTransport',
  'encryptionMode',
  'caCertificate',
  'minTlsVersion',
  'mailboxName',
] as const;

/** What a token may do; each scope includes the ones before it (admin ⊃ operate ⊃ read). */
export const TOKEN_SCOPES = ['read', 'operate', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const SERVICE_STATES = ['awaiting-initial-run', 'ok', 'error', 'suspended'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];
