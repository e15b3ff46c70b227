import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.js';
import { ApiErrors, ApiLogPaging, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { auditQuerySchema } from './audit.schemas.js';
import { AuditService, type AuditPage } from './audit.service.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScope('read')
  @ApiOperation({
    summary: 'Audit log of the whole installation (newest first)',
    description:
      'Every API mutation (connectors, directory, tokens, suspend/resume, test extraction) and every token change made with the CLI: who (token id and name, client address), when, what changed. Secrets appear only as {"changed": true}. Entries of deleted connectors are kept.',
  })
  @ApiLogPaging()
  @ApiQuery({ name: 'connectorId', required: false, schema: { type: 'string', format: 'uuid' } })
  @ApiQuery({ name: 'action', required: false, schema: { type: 'string', example: 'connector.updated' } })
  @ApiOkResponse({ schema: schemaRef('AuditPage') })
  @ApiErrors(400, 401, 403)
  list(@Query() query: unknown): Promise<AuditPage> {
    return this.audit.page(parseInput(auditQuerySchema, query, 'query'));
  }
}
