import { z } from 'zod';
import {
  CONNECTOR_JOURNAL_TYPES,
  ENCRYPTION_MODES,
  MIN_TLS_VERSIONS,
  REDACTED,
  TLS_TRANSPORTS,
  TRANSPORT_TYPES,
} from '#contracts';
import { emailAddress, expected, flag, isHost, isPemCertificateBundle } from '../http/formats.js';

/** Longest accepted CA certificate bundle (PEM): a few dozen certificates. */
export const MAX_CA_CERTIFICATE = 65_536;

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expected(`one of: ${values.join(', ')}`));

const text = (what: string, max: number) =>
  z
    .string(expected(what))
    .trim()
    .min(1, `expected ${what} (not empty)`)
    .max(max, { error: `expected at most ${max} characters`, abort: true })
    .refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks or NUL');

const intRange = (min: number, max: number) =>
  z
    .number(expected(`an integer ${min}-${max}`))
    .int(`expected an integer ${min}-${max}`)
    .min(min, `expected an integer ${min}-${max}`)
    .max(max, `expected an integer ${min}-${max}`);

/** Every writable field of a journal service definition, as the API names it. */
const fields = {
  description: text('a description', 200),
  transportType: oneOf(TRANSPORT_TYPES),
  serviceEmailAddress: emailAddress,
  mailboxName: text('the POP3 login name', 256),
  password: z
    .string(expected('the mailbox password'))
    .min(1, 'expected the mailbox password (not empty)')
    .max(1024, { error: 'expected at most 1024 characters', abort: true })
    .refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks or NUL')
    .refine(
      (value) => value !== REDACTED,
      `"${REDACTED}" is the placeholder responses show, not a password: send the real password or leave the field out`,
    ),
  host: z
    .string(expected('a host name or IP address'))
    .max(253, { error: 'expected at most 253 characters', abort: true })
    .trim()
    .refine(isHost, 'expected a host name (e.g. mail.contoso.com) or an IPv4/IPv6 address'),
  port: intRange(1, 65535),
  encrypted: flag,
  tlsTransport: oneOf(TLS_TRANSPORTS),
  encryptionMode: oneOf(ENCRYPTION_MODES),
  // minTlsVersion (issue 18): TLS older than 1.2 only by explicit opt-in.
  minTlsVersion: oneOf(MIN_TLS_VERSIONS),
  caCertificate: z
    .string(expected('PEM certificates or null'))
    .max(MAX_CA_CERTIFICATE, { error: `expected at most ${MAX_CA_CERTIFICATE} characters`, abort: true })
    .refine(isPemCertificateBundle, 'expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)')
    .nullable(),
  journalType: oneOf(CONNECTOR_JOURNAL_TYPES),
  removeJournalHeaders: flag,
  detailedLogging: flag,
  journalNonInternalAddresses: flag,
  journalUnknownInternalAddresses: flag,
  suspended: flag,
  allowEmptyDirectory: flag,
  pollIntervalSeconds: intRange(5, 86_400),
  maxMessagesPerSession: intRange(1, 100_000),
};

/** POST /v1/connectors. Unknown fields are refused; omitted options take the seed's defaults. */
export const createConnectorSchema = z.strictObject({
  description: fields.description,
  transportType: fields.transportType.default('pop3'),
  serviceEmailAddress: fields.serviceEmailAddress,
  mailboxName: fields.mailboxName,
  password: fields.password,
  host: fields.host,
  /** Default: 995 with implicit TLS, 110 otherwise (STLS or plain). */
  port: fields.port.optional(),
  encrypted: fields.encrypted.default(true),
  tlsTransport: fields.tlsTransport.default('implicit'),
  encryptionMode: fields.encryptionMode.default('strict'),
  minTlsVersion: fields.minTlsVersion.default('TLSv1.2'),
  caCertificate: fields.caCertificate.optional(),
  journalType: fields.journalType.default('envelope'),
  removeJournalHeaders: fields.removeJournalHeaders.default(false),
  detailedLogging: fields.detailedLogging.default(false),
  journalNonInternalAddresses: fields.journalNonInternalAddresses.default(false),
  journalUnknownInternalAddresses: fields.journalUnknownInternalAddresses.default(false),
  suspended: fields.suspended.default(false),
  allowEmptyDirectory: fields.allowEmptyDirectory.default(false),
  pollIntervalSeconds: fields.pollIntervalSeconds.default(60),
  maxMessagesPerSession: fields.maxMessagesPerSession.default(500),
});
export type CreateConnectorInput = z.output<typeof createConnectorSchema>;

/** Every writable field, each optional. */
const optionalFields = z.strictObject(fields).partial();

/** PATCH /v1/connectors/:id: any subset of the writable fields, at least one. */
export const updateConnectorSchema = optionalFields.refine((patch) => Object.keys(patch).length > 0, {
  message: 'expected at least one field to change',
  path: [],
});
export type UpdateConnectorInput = z.output<typeof updateConnectorSchema>;

export const connectorIdSchema = z.uuid('expected a connector id (UUID)');

/** POST /v1/connectors/:id/test-extraction: optional unsaved settings to try (nothing is stored). */
export const testExtractionSchema = optionalFields.pick({
  mailboxName: true,
  password: true,
  host: true,
  port: true,
  encrypted: true,
  tlsTransport: true,
  encryptionMode: true,
  caCertificate: true,
  minTlsVersion: true,
});
export type TestExtractionInput = z.output<typeof testExtractionSchema>;

/** DELETE /v1/connectors/:id query. */
export const deleteQuerySchema = z.strictObject({
  force: z.enum(['true', 'false'], expected('true or false')).default('false'),
});
