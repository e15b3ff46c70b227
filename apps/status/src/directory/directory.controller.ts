import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { AddressView, DirectoryImportResult, DirectoryView, DomainView } from '#contracts';
import { JournalwireError } from '#errors';
import type { AuditActor } from '#persistence';
import { Actor } from '../auth/actor.decorator.js';
import { ApiErrors, schemaRef } from '../openapi/decorators.js';
import { parseInput } from '../http/validation.js';
import { DirectoryImportService } from './directory-import.service.js';
import {
  addressInputSchema,
  addressPatchSchema,
  domainInputSchema,
  domainPatchSchema,
  directoryListQuerySchema,
  importQuerySchema,
  MAX_DIRECTORY_LIMIT,
} from './directory.schemas.js';
import type { CursorPage } from '../paging/cursor.js';
import { DirectoryService } from './directory.service.js';
import { noRows, rowsFromCsv, rowsFromJson } from './import-rows.js';

@ApiTags('directory')
@ApiBearerAuth()
@Controller('v1/directory')
export class DirectoryController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly importer: DirectoryImportService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The whole directory with its revision' })
  @ApiOkResponse({ schema: schemaRef('Directory') })
  @ApiErrors(401)
  get(): Promise<DirectoryView> {
    return this.directory.get();
  }

  @Get('domains')
  @ApiOperation({
    summary: 'Internal domains, in name order, cursor-paged',
    description: 'Pass nextCursor back as cursor for the next page (null on the last). GET /v1/directory returns all.',
  })
  @ApiDirectoryPaging()
  @ApiOkResponse({ schema: schemaRef('DomainList') })
  @ApiErrors(400, 401)
  domains(@Query() query: unknown): Promise<CursorPage<DomainView>> {
    return this.directory.pageDomains(parseInput(directoryListQuerySchema, query, 'query'));
  }

  @Post('domains')
  @ApiOperation({ summary: 'Add an internal domain' })
  @ApiBody({ schema: schemaRef('DomainInput') })
  @ApiCreatedResponse({ schema: schemaRef('Domain') })
  @ApiErrors(400, 401, 409)
  createDomain(@Body() body: unknown, @Actor() actor: AuditActor): Promise<DomainView> {
    return this.directory.createDomain(parseInput(domainInputSchema, body), actor);
  }

  @Get('domains/:domain')
  @ApiOkResponse({ schema: schemaRef('Domain') })
  @ApiErrors(401, 404)
  domain(@Param('domain') domain: string): Promise<DomainView> {
    return this.directory.getDomain(domain);
  }

  @Patch('domains/:domain')
  @ApiOperation({ summary: 'Change whether subdomains count as internal' })
  @ApiBody({ schema: schemaRef('DomainPatch') })
  @ApiOkResponse({ schema: schemaRef('Domain') })
  @ApiErrors(400, 401, 404)
  updateDomain(
    @Param('domain') domain: string,
    @Body() body: unknown,
    @Actor() actor: AuditActor,
  ): Promise<DomainView> {
    return this.directory.updateDomain(domain, parseInput(domainPatchSchema, body).includeSubdomains, actor);
  }

  @Delete('domains/:domain')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(401, 404)
  deleteDomain(@Param('domain') domain: string, @Actor() actor: AuditActor): Promise<void> {
    return this.directory.deleteDomain(domain, actor);
  }

  @Get('addresses')
  @ApiOperation({
    summary: 'Known internal addresses with their aliases, in order, cursor-paged',
    description: 'Pass nextCursor back as cursor for the next page (null on the last). GET /v1/directory returns all.',
  })
  @ApiDirectoryPaging()
  @ApiOkResponse({ schema: schemaRef('AddressList') })
  @ApiErrors(400, 401)
  addresses(@Query() query: unknown): Promise<CursorPage<AddressView>> {
    return this.directory.pageAddresses(parseInput(directoryListQuerySchema, query, 'query'));
  }

  @Post('addresses')
  @ApiOperation({ summary: 'Add a known address (with aliases)' })
  @ApiBody({ schema: schemaRef('AddressInput') })
  @ApiCreatedResponse({ schema: schemaRef('Address') })
  @ApiErrors(400, 401, 409)
  createAddress(@Body() body: unknown, @Actor() actor: AuditActor): Promise<AddressView> {
    return this.directory.createAddress(parseInput(addressInputSchema, body), actor);
  }

  @Get('addresses/:address')
  @ApiOkResponse({ schema: schemaRef('Address') })
  @ApiErrors(401, 404)
  address(@Param('address') address: string): Promise<AddressView> {
    return this.directory.getAddress(address);
  }

  @Patch('addresses/:address')
  @ApiOperation({ summary: 'Change the display name and/or replace the aliases' })
  @ApiBody({ schema: schemaRef('AddressPatch') })
  @ApiOkResponse({ schema: schemaRef('Address') })
  @ApiErrors(400, 401, 404, 409)
  updateAddress(
    @Param('address') address: string,
    @Body() body: unknown,
    @Actor() actor: AuditActor,
  ): Promise<AddressView> {
    return this.directory.updateAddress(address, parseInput(addressPatchSchema, body), actor);
  }

  @Delete('addresses/:address')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(401, 404)
  deleteAddress(@Param('address') address: string, @Actor() actor: AuditActor): Promise<void> {
    return this.directory.deleteAddress(address, actor);
  }

  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bulk import (JSON or CSV)',
    description:
      'JSON: {"domains": ["contoso.com", "*.fabrikam.com", {"domain": "x.com", "includeSubdomains": true}], "addresses": ["a@contoso.com", {"address": "b@contoso.com", "displayName": "B", "aliases": ["bee@contoso.com"]}]}. ' +
      'CSV (text/csv): `domain,contoso.com[,subdomains]` and `address,alice@contoso.com[,alias1;alias2][,Display Name]` lines. ' +
      'mode=merge (default) upserts valid rows and lists row errors; mode=replace makes the directory exactly the import, all-or-nothing.',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiQuery({ name: 'mode', required: false, enum: ['merge', 'replace'] })
  @ApiBody({ schema: schemaRef('DirectoryImport') })
  @ApiOkResponse({ schema: schemaRef('DirectoryImportResult') })
  @ApiErrors(400, 401)
  async import(
    @Body() body: unknown,
    @Query() query: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Actor() actor: AuditActor,
  ): Promise<DirectoryImportResult> {
    const { mode } = parseInput(importQuerySchema, query, 'query');
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    let parsed;
    if (type === 'text/csv' || type === 'text/plain') parsed = rowsFromCsv(typeof body === 'string' ? body : '');
    else if (type === 'application/json' || type === '') parsed = { rows: rowsFromJson(body), errors: [] };
    else
      throw new JournalwireError('validation', `Unsupported content type ${type}: send application/json or text/csv`);
    if (parsed.rows.length === 0 && parsed.errors.length === 0) throw noRows();
    return this.importer.run(parsed.rows, mode, parsed.errors, actor);
  }
}

function ApiDirectoryPaging(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'q', required: false, description: 'Case-insensitive substring', schema: { type: 'string' } }),
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: MAX_DIRECTORY_LIMIT, default: 100 },
    }),
    ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' } }),
  );
}
