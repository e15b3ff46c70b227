import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** A reference to a schema registered in components.schemas (see openapi/components.ts). */
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
