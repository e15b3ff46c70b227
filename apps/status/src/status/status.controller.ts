import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, schemaRef } from '../openapi/decorators.js';
import { StatusService } from './status.service.js';
import type { ConnectorStatusView } from '#contracts';

@ApiTags('status')
@ApiBearerAuth()
@Controller('v1')
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get('status')
  @ApiOperation({ summary: 'Service Status of every journal service definition' })
  @ApiOkResponse({ schema: schemaRef('ConnectorStatusList') })
  @ApiErrors(401)
  async list(): Promise<{ items: ConnectorStatusView[] }> {
    return { items: await this.status.list() };
  }

  @Get('connectors/:id/status')
  @ApiOperation({ summary: 'Service Status of one journal service definition' })
  @ApiOkResponse({ schema: schemaRef('ConnectorStatus') })
  @ApiErrors(401, 404)
  get(@Param('id') id: string): Promise<ConnectorStatusView> {
    return this.status.get(id);
  }
}
