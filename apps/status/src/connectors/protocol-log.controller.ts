import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { ProtocolLogView } from '#contracts';
import { PROTOCOL_LOG_LIMITS, ProtocolLogStore } from '#platform';
import { ApiErrors, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { ConnectorsService } from './connectors.service.js';

const protocolLogQuerySchema = z.strictObject({
  sessions: z.coerce
    .number({ error: 'expected a number of sessions' })
    .int('expected a whole number of sessions')
    .min(1, `expected 1-${PROTOCOL_LOG_LIMITS.sessions} sessions`)
    .max(PROTOCOL_LOG_LIMITS.sessions, `expected 1-${PROTOCOL_LOG_LIMITS.sessions} sessions`)
    .default(PROTOCOL_LOG_LIMITS.sessions),
});

/** Detailed logging, readable by the operator: the redacted POP3 trace of recent sessions. */
@ApiTags('connectors')
@ApiBearerAuth()
@Controller('v1/connectors')
export class ProtocolLogController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly store: ProtocolLogStore,
  ) {}

  @Get(':id/protocol-log')
  @ApiOperation({
    summary: 'Protocol log (detailed logging): the redacted POP3 trace of recent sessions and test extractions',
    description:
      `Recorded while the connector's detailedLogging is on, newest first; the last ${PROTOCOL_LOG_LIMITS.sessions} ` +
      `entries, ${PROTOCOL_LOG_LIMITS.bytesPerSession} bytes of lines each (the middle of a longer session is counted ` +
      'in omittedLines), kept 7 days after the latest. Command and status lines only, never message bodies; ' +
      'passwords and AUTH PLAIN payloads are redacted.',
  })
  @ApiQuery({
    name: 'sessions',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: PROTOCOL_LOG_LIMITS.sessions },
  })
  @ApiOkResponse({ schema: schemaRef('ProtocolLog') })
  @ApiErrors(400, 401, 404)
  async read(@Param('id') id: string, @Query() query: unknown): Promise<ProtocolLogView> {
    const { sessions } = parseInput(protocolLogQuerySchema, query, 'query');
    const connector = await this.connectors.entity(id);
    return {
      connectorId: connector.id,
      detailedLogging: connector.detailedLogging,
      limits: PROTOCOL_LOG_LIMITS,
      items: await this.store.recent(connector.id, sessions),
    };
  }
}
