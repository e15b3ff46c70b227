import { applyDecorators } from '@nestjs/common';
import { ApiQuery, ApiResponse } from '@nestjs/swagger';

/** A reference to a schema registered in components.schemas (see components.ts). */
export function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed: `fields` names each bad field',
  401: 'Missing, invalid, revoked or expired API token',
  403: "The API token's scope is too low for this operation",
  404: 'No such resource',
  409: 'Conflicts with an existing resource (or, for DELETE of a connector, mail still in flight)',
  429: 'Too many failed authentications from this address (Retry-After)',
};

/** Documents the `{ error, message, fields? }` responses a route may give. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'Error', schema: schemaRef('Error') }),
    ),
  );
}

/** The query parameters of a newest-first log: cursor/limit, or the older page/pageSize (not both). */
export function ApiLogPaging(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Cursor paging: items per page',
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: 'Cursor paging: the nextCursor of the previous page',
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'page',
      required: false,
      description: 'Offset paging (with total); not with cursor/limit',
      schema: { type: 'integer', minimum: 1, default: 1 },
    }),
    ApiQuery({
      name: 'pageSize',
      required: false,
      description: 'Offset paging; not with cursor/limit',
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    }),
  );
}
