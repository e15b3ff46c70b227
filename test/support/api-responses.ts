/**
 * The response schema (libs/contracts/src/api-views.ts) of each JSON route of the status REST
 * API: the tests' apiClient checks every successful JSON response against it, so the views, the
 * OpenAPI components and the console's types cannot drift from what the service really sends.
 */
import type { z } from 'zod';
import {
  addressListSchema,
  addressViewSchema,
  apiTokenListSchema,
  apiTokenViewSchema,
  auditPageSchema,
  connectorEventsPageSchema,
  connectorListSchema,
  connectorStatusListSchema,
  connectorStatusViewSchema,
  connectorViewSchema,
  createdApiTokenSchema,
  directoryImportResultSchema,
  directoryViewSchema,
  domainListSchema,
  domainViewSchema,
  outcomeListSchema,
  outcomeReplaySchema,
  protocolLogViewSchema,
  testExtractionReportSchema,
} from '#contracts';

const ID = '[^/]+';

/** [methods, path pattern (`{id}` for one path segment), schema of a 2xx body]. */
const ROUTES: Array<[methods: string, path: string, schema: z.ZodType]> = [
  ['GET', '/v1/status', connectorStatusListSchema],
  ['GET', '/v1/connectors', connectorListSchema],
  ['POST', '/v1/connectors', connectorViewSchema],
  ['GET PATCH', '/v1/connectors/{id}', connectorViewSchema],
  ['POST', '/v1/connectors/{id}/suspend', connectorViewSchema],
  ['POST', '/v1/connectors/{id}/resume', connectorViewSchema],
  ['GET', '/v1/connectors/{id}/status', connectorStatusViewSchema],
  ['GET', '/v1/connectors/{id}/events', connectorEventsPageSchema],
  ['GET', '/v1/connectors/{id}/audit', auditPageSchema],
  ['POST', '/v1/connectors/{id}/test-extraction', testExtractionReportSchema],
  ['GET', '/v1/connectors/{id}/protocol-log', protocolLogViewSchema],
  ['GET', '/v1/connectors/{id}/outcomes', outcomeListSchema],
  ['POST', '/v1/connectors/{id}/outcomes/{id}/replay', outcomeReplaySchema],
  ['GET', '/v1/audit', auditPageSchema],
  ['GET', '/v1/tokens', apiTokenListSchema],
  ['POST', '/v1/tokens', createdApiTokenSchema],
  ['GET', '/v1/tokens/{id}', apiTokenViewSchema],
  ['POST', '/v1/tokens/{id}/revoke', apiTokenViewSchema],
  ['GET', '/v1/directory', directoryViewSchema],
  ['GET', '/v1/directory/domains', domainListSchema],
  ['POST', '/v1/directory/domains', domainViewSchema],
  ['GET PATCH', '/v1/directory/domains/{id}', domainViewSchema],
  ['GET', '/v1/directory/addresses', addressListSchema],
  ['POST', '/v1/directory/addresses', addressViewSchema],
  ['GET PATCH', '/v1/directory/addresses/{id}', addressViewSchema],
  ['POST', '/v1/directory/import', directoryImportResultSchema],
];

const MATCHERS = ROUTES.map(([methods, path, schema]) => ({
  methods: methods.split(' '),
  pattern: new RegExp(`^${path.replaceAll('{id}', ID)}/?$`),
  schema,
}));

/** The schema of a successful JSON response of `method path` (query string ignored); throws for an unknown /v1 route. */
export function responseSchemaOf(method: string, path: string): z.ZodType | null {
  const pathname = new URL(path, 'http://status.invalid').pathname;
  if (!pathname.startsWith('/v1/') && pathname !== '/v1') return null;
  const route = MATCHERS.find(
    (candidate) => candidate.methods.includes(method.toUpperCase()) && candidate.pattern.test(pathname),
  );
  if (!route) throw new Error(`no response schema for ${method} ${pathname}: add it to test/support/api-responses.ts`);
  return route.schema;
}

/** Checks a successful JSON body against its route's schema; fails with the route and zod's issues. */
export function checkResponse(method: string, path: string, body: unknown): void {
  const schema = responseSchemaOf(method, path);
  if (!schema) return;
  const result = schema.safeParse(body);
  if (!result.success)
    throw new Error(
      `${method} ${path}: the response does not match its schema in libs/contracts: ${result.error.message}`,
    );
}
