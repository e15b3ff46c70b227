import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuditActor } from '#persistence';
import type { HttpRequest } from '../http/http-types.js';

/** The API token that authenticated the request, as the event and audit logs record it. */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): AuditActor => {
  const principal = context.switchToHttp().getRequest<HttpRequest>().principal;
  return principal
    ? { tokenId: principal.tokenId, name: principal.name, address: principal.address }
    : { tokenId: null, name: 'unknown' };
});
