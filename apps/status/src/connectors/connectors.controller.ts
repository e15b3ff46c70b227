import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
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
import { Actor } from '../auth/actor.decorator.js';
import { ApiErrors, schemaRef } from '../platform/openapi.js';
import { parseInput } from '../platform/validation.js';
import { ConnectorEventsService, type EventsPage } from './connector-events.service.js';
import { createConnectorSchema, eventsQuerySchema, updateConnectorSchema } from './connector.schemas.js';
import type { ConnectorView } from './connector.view.js';
import { ConnectorsService } from './connectors.service.js';
import { TestExtractionService, type TestExtractionReport } from './test-extraction.service.js';

@ApiTags('connectors')
@ApiBearerAuth()
@Controller('v1/connectors')
export class ConnectorsController {
  constructor(
    @Inject(ConnectorsService) private readonly connectors: ConnectorsService,
    @Inject(ConnectorEventsService) private readonly events: ConnectorEventsService,
    @Inject(TestExtractionService) private readonly testExtraction: TestExtractionService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a journal service definition',
    description:
      'Port defaults to 995 with implicit TLS, 110 otherwise. The password is stored encrypted and never returned.',
  })
  @ApiBody({ schema: schemaRef('CreateConnector') })
  @ApiCreatedResponse({ schema: schemaRef('Connector') })
  @ApiErrors(400, 401)
  create(@Body() body: unknown, @Actor() actor: string): Promise<ConnectorView> {
    return this.connectors.create(parseInput(createConnectorSchema, body), actor);
  }

  @Get()
  @ApiOperation({ summary: 'List journal service definitions' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { items: { type: 'array', items: schemaRef('Connector') } } },
  })
  @ApiErrors(401)
  async list(): Promise<{ items: ConnectorView[] }> {
    return { items: await this.connectors.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a journal service definition' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @ApiErrors(401, 404)
  get(@Param('id') id: string): Promise<ConnectorView> {
    return this.connectors.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a journal service definition',
    description:
      'Any subset of the fields. Setting suspended:true suspends extraction and resets error conditions. A port left at its default follows a change of encrypted/tlsTransport.',
  })
  @ApiBody({ schema: schemaRef('UpdateConnector') })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @ApiErrors(400, 401, 404)
  update(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string): Promise<ConnectorView> {
    return this.connectors.update(id, parseInput(updateConnectorSchema, body), actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a journal service definition' })
  @ApiNoContentResponse()
  @ApiErrors(401, 404)
  async remove(@Param('id') id: string, @Actor() actor: string): Promise<void> {
    await this.connectors.delete(id, actor);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend: stops extraction and resets error conditions (logged as an event)' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @ApiErrors(401, 404)
  suspend(@Param('id') id: string, @Actor() actor: string): Promise<ConnectorView> {
    return this.connectors.setSuspended(id, true, actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume extraction (logged as an event)' })
  @ApiOkResponse({ schema: schemaRef('Connector') })
  @ApiErrors(401, 404)
  resume(@Param('id') id: string, @Actor() actor: string): Promise<ConnectorView> {
    return this.connectors.setSuspended(id, false, actor);
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Event log of a definition: who changed what and when (newest first)' })
  @ApiQuery({ name: 'page', required: false, schema: { type: 'integer', minimum: 1, default: 1 } })
  @ApiQuery({ name: 'pageSize', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiOkResponse({ schema: schemaRef('ConnectorEventsPage') })
  @ApiErrors(400, 401, 404)
  async eventsOf(@Param('id') id: string, @Query() query: unknown): Promise<EventsPage> {
    const { page, pageSize } = parseInput(eventsQuerySchema, query, 'query');
    await this.connectors.entity(id);
    return this.events.page(id, page, pageSize);
  }

  @Post(':id/test-extraction')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test Journal Extraction',
    description:
      'Connects with the definition’s settings (name resolution, TCP, TLS, greeting, capabilities, STLS, authentication, STAT). Retrieves and deletes nothing. A failed test is 200 with ok:false and the failing step.',
  })
  @ApiOkResponse({ schema: schemaRef('TestExtractionReport') })
  @ApiErrors(401, 404)
  test(@Param('id') id: string, @Actor() actor: string): Promise<TestExtractionReport> {
    return this.testExtraction.run(id, actor);
  }
}
