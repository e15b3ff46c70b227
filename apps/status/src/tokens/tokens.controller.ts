import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import type { ApiTokenView } from '#contracts';
import { JournalwireError } from '#errors';
import { DATA_SOURCE } from '#platform';
import { ApiTokenEntity, createApiToken, revokeApiToken, toApiTokenView, type AuditActor } from '#persistence';
import { Actor } from '../auth/actor.decorator.js';
import { RequireScope } from '../auth/scopes.js';
import { ApiErrors, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { createTokenSchema, expiryOf } from './tokens.schemas.js';

function tokenNotFound(id: string): JournalwireError {
  return new JournalwireError('not-found', `No API token with id ${id.slice(0, 100)}`);
}

/** API tokens: created, listed and revoked with an admin token (or the CLI). Secrets are shown once. */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller('v1/tokens')
@RequireScope('admin')
export class TokensController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'List API tokens (never their secrets), revoked ones included' })
  @ApiOkResponse({ schema: schemaRef('ApiTokenList') })
  @ApiErrors(401, 403)
  async list(): Promise<{ items: ApiTokenView[] }> {
    const rows = await this.dataSource.getRepository(ApiTokenEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return { items: rows.map(toApiTokenView) };
  }

  @Post()
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The answer holds the secret (`token`) once; only its sha256 is stored. Audited as token.created.',
  })
  @ApiBody({ schema: schemaRef('CreateApiToken') })
  @ApiCreatedResponse({ schema: schemaRef('CreatedApiToken') })
  @ApiErrors(400, 401, 403)
  async create(@Body() body: unknown, @Actor() actor: AuditActor): Promise<ApiTokenView & { token: string }> {
    const input = parseInput(createTokenSchema, body);
    const { token, secret } = await this.dataSource.transaction((manager) =>
      createApiToken(manager, { name: input.name, scope: input.scope, expiresAt: expiryOf(input) }, actor),
    );
    return { ...token, token: secret };
  }

  @Get(':id')
  @ApiOkResponse({ schema: schemaRef('ApiToken') })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string): Promise<ApiTokenView> {
    const row = /^[0-9a-f-]{36}$/i.test(id)
      ? await this.dataSource.getRepository(ApiTokenEntity).findOne({ where: { id } })
      : null;
    if (!row) throw tokenNotFound(id);
    return toApiTokenView(row);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke an API token',
    description: 'Immediately refused by REST and gRPC; an open gRPC watch with it ends within seconds.',
  })
  @ApiOkResponse({ schema: schemaRef('ApiToken') })
  @ApiErrors(401, 403, 404)
  async revoke(@Param('id') id: string, @Actor() actor: AuditActor): Promise<ApiTokenView> {
    const token = await this.dataSource.transaction((manager) => revokeApiToken(manager, id, actor));
    if (!token) throw tokenNotFound(id);
    return token;
  }
}
