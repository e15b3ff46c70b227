import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { LISTED_OUTCOME_TYPES, type OutcomeReplay, type OutcomeView } from '#contracts';
import type { AuditActor } from '#persistence';
import { Actor } from '../auth/actor.decorator.js';
import { RequireScope } from '../auth/scopes.js';
import type { CursorPage } from '../paging/cursor.js';
import { ApiErrors, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { MAX_OUTCOME_LIMIT, outcomeIdSchema, outcomesQuerySchema } from './outcomes.schemas.js';
import { OutcomesService } from './outcomes.service.js';

@ApiTags('connectors')
@ApiBearerAuth()
@Controller('v1/connectors/:id/outcomes')
export class OutcomesController {
  constructor(private readonly outcomes: OutcomesService) {}

  @Get()
  @ApiOperation({
    summary: 'Rejected, dead-lettered or skipped messages of a definition (newest first)',
    description:
      'rejected and dead-lettered: reason or error, time, Message-ID, sender, subject, where the outcome record and the original raw record sit, and where the bytes are (inline in the record, or the claim check). skipped: messages the server failed to return MAX_RETRIEVAL_ATTEMPTS times, left in the mailbox, with their error. Cursor paging.',
  })
  @ApiQuery({ name: 'type', required: true, schema: { type: 'string', enum: [...LISTED_OUTCOME_TYPES] } })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_OUTCOME_LIMIT, default: 50 },
  })
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' } })
  @ApiOkResponse({ schema: schemaRef('OutcomeList') })
  @RequireScope('read')
  @ApiErrors(400, 401, 404)
  list(@Param('id') id: string, @Query() query: unknown): Promise<CursorPage<OutcomeView>> {
    return this.outcomes.list(id, parseInput(outcomesQuerySchema, query, 'query'));
  }

  @Post(':outcomeId/replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replay a rejected or dead-lettered message',
    description:
      'Puts the message, byte for byte, back on journal.raw.v2 as a new raw record whose jw-replay-of header names the outcome and its original raw record; it goes through envelope and policy again (a replayed rejection is decided afresh) and `npm run reconcile` lists it as a replay. Once per message: a second replay is 409 (rule already-replayed). Audited as outcome.replayed.',
  })
  @ApiOkResponse({ schema: schemaRef('OutcomeReplay') })
  @RequireScope('operate')
  @ApiErrors(400, 401, 403, 404, 409)
  replay(
    @Param('id') id: string,
    @Param('outcomeId') outcomeId: string,
    @Actor() actor: AuditActor,
  ): Promise<OutcomeReplay> {
    return this.outcomes.replay(id, parseInput(outcomeIdSchema, outcomeId, 'outcome id'), actor);
  }
}
