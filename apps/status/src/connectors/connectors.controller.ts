import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { ConnectorListItem, ConnectorView, TestExtractionReport } from '#contracts';
import type { AuditActor } from '#persistence';
import { AuditService, type AuditPage } from '../audit/audit.service.js';
import { pageQuerySchema } from '../audit/audit.schemas.js';
import { Actor } from '../auth/actor.decorator.js';
import { RequireScope } from '../auth/scopes.js';
import { ApiErrors, ApiLogPaging, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { ConnectorEventsService, type EventsPage } from './connector-events.service.js';
import {
  createConnectorSchema,
  deleteQuerySchema,
  testExtractionSchema,
  updateConnectorSchema,
} from './connector.schemas.js';
import type { CursorPage } from '../paging/cursor.js';
import { CONNECTOR_SORT_FIELDS, connectorListQuerySchema, MAX_CONNECTOR_LIMIT } from './connector-listing.js';
import { ConnectorsService } from './connectors.service.js';
import { TestExtractionService } from './test-extraction.service.js';
import { isUuid } from '../status/status.service.js';

@ApiTags('connectors')
@ApiBearerAuth()
@Controller('v1/connectors')
export class ConnectorsController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly events: ConnectorEventsService,
    private readonly testExtraction: TestExtractionService,
    private readonly audit: AuditService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a journal service definition',
    description:
      'Port defaults to 995 with implicit TLS, 110 otherwise. The password is stored encrypted and never returned.',
  })
  @ApiBody({ schema: schemaRef('CreateConnector') })
  @ApiCreatedResponse({ schema: schemaRef('Connector') })
  @RequireScope('admin')
  @ApiErrors(400, 401, 403)
  create(@Body() body: unknown, @Actor() actor: AuditActor): Promise<ConnectorView> {
    return this.connectors.create(parseInput(createConnectorSchema, body), actor);
  }

  @Get()
  @ApiOperation({
    summary: 'List journal service definitions with their Service Status',
    description:
      'Each item is the definition plus `status` (as GET /v1/connectors/{id}/status). Filters: `serviceStatus` (comma-separated states), `q` (case-insensitive text in description, mailbox name, service e-mail address or host). `sort` is a field name, prefixed with - for descending (ties by id). Cursor paging: pass `nextCursor` back as `cursor` with the same `sort`; null on the last page.',
  })
  @ApiQuery({ name: 'q', required: false, schema: { type: 'string', maxLength: 200 } })
  @ApiQuery({
    name: 'serviceStatus',
    required: false,
    description: 'Comma-separated, e.g. error,suspended',
    schema: { type: 'string', example: 'error,suspended' },
  })
  @ApiQuery({
    name: 'sort',
    required: false,
    schema: { type: 'string', enum: CONNECTOR_SORT_FIELDS.flatMap((f) => [f, `-${f}`]), default: 'createdAt' },
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_CONNECTOR_LIMIT, default: 50 },
  })
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' } })
  @ApiOkResponse({ schema: schemaRef('ConnectorList') })
  @ApiErrors(400, 401)
  @RequireScope('read')
  list(@Query() query: unknown): Promise<CursorPage<ConnectorListItem>> {
    return this.connectors.list(parseInput(connectorListQuerySchema, query, 'query'));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a journal service definition' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @ApiErrors(401, 404)
  @RequireScope('read')
  get(@Param('id') id: string): Promise<ConnectorView> {
    return this.connectors.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a journal service definition',
    description:
      'Any subset of the fields. Changing host, port, encrypted, tlsTransport, encryptionMode, caCertificate or mailboxName requires the password in the same request (400 otherwise, rule password-required-for-destination-change); "[redacted]" is refused as a password. Setting suspended:true suspends extraction and resets error conditions. A port left at its default follows a change of encrypted/tlsTransport.',
  })
  @ApiBody({ schema: schemaRef('UpdateConnector') })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @RequireScope('admin')
  @ApiErrors(400, 401, 403, 404)
  update(@Param('id') id: string, @Body() body: unknown, @Actor() actor: AuditActor): Promise<ConnectorView> {
    return this.connectors.update(id, parseInput(updateConnectorSchema, body), actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a journal service definition',
    description:
      '409 while its mail may be in flight, naming why: messages waiting for an outcome (processingQueue > 0), a running poller session, or messages the poller has not confirmed; ?force=true deletes anyway (logged and audited). Its event log and audit entries stay readable.',
  })
  @ApiQuery({ name: 'force', required: false, schema: { type: 'boolean', default: false } })
  @ApiNoContentResponse()
  @RequireScope('admin')
  @ApiErrors(400, 401, 403, 404, 409)
  async remove(@Param('id') id: string, @Query() query: unknown, @Actor() actor: AuditActor): Promise<void> {
    const { force } = parseInput(deleteQuerySchema, query, 'query');
    await this.connectors.delete(id, actor, force === 'true');
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend: stops extraction and resets error conditions (logged as an event)' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @RequireScope('operate')
  @ApiErrors(401, 403, 404)
  suspend(@Param('id') id: string, @Actor() actor: AuditActor): Promise<ConnectorView> {
    return this.connectors.setSuspended(id, true, actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume extraction (logged as an event)' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @RequireScope('operate')
  @ApiErrors(401, 403, 404)
  resume(@Param('id') id: string, @Actor() actor: AuditActor): Promise<ConnectorView> {
    return this.connectors.setSuspended(id, false, actor);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: 'Event log of a definition: who changed what and when (newest first)',
    description: 'Stays readable after the definition is deleted.',
  })
  @ApiLogPaging()
  @ApiOkResponse({ schema: schemaRef('ConnectorEventsPage') })
  @RequireScope('read')
  @ApiErrors(400, 401, 404)
  async eventsOf(@Param('id') id: string, @Query() query: unknown): Promise<EventsPage> {
    const paging = parseInput(pageQuerySchema, query, 'query');
    await this.existingOrDeleted(id);
    return this.events.page(id, paging);
  }

  @Get(':id/audit')
  @ApiOperation({
    summary: 'Audit log entries of a definition (newest first)',
    description: 'Same entries as GET /v1/audit?connectorId=…; kept after the definition is deleted.',
  })
  @ApiLogPaging()
  @ApiOkResponse({ schema: schemaRef('AuditPage') })
  @RequireScope('read')
  @ApiErrors(400, 401, 404)
  async auditOf(@Param('id') id: string, @Query() query: unknown): Promise<AuditPage> {
    const paging = parseInput(pageQuerySchema, query, 'query');
    await this.existingOrDeleted(id);
    return this.audit.page({ ...paging, connectorId: id });
  }

  /** A definition that exists, or existed (it left events behind); 404 otherwise. */
  private async existingOrDeleted(id: string): Promise<void> {
    try {
      await this.connectors.entity(id);
    } catch (error) {
      if (!isUuid(id) || !(await this.events.exist(id))) throw error;
    }
  }

  @Post(':id/test-extraction')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test Journal Extraction',
    description:
      'Connects with the definition’s settings (name resolution, TCP, TLS, greeting, capabilities, STLS, authentication, STAT). Retrieves and deletes nothing. A failed test is 200 with ok:false and the failing step. An optional body tries unsaved settings (nothing is stored); a different destination (host, port, encrypted, tlsTransport, encryptionMode, caCertificate, mailboxName) needs the password in the body.',
  })
  @ApiBody({ required: false, schema: schemaRef('TestExtractionSettings') })
  @ApiOkResponse({ schema: schemaRef('TestExtractionReport') })
  @RequireScope('operate')
  @ApiErrors(400, 401, 403, 404)
  test(@Param('id') id: string, @Body() body: unknown, @Actor() actor: AuditActor): Promise<TestExtractionReport> {
    return this.testExtraction.run(id, actor, parseInput(testExtractionSchema, body ?? {}));
  }
}
