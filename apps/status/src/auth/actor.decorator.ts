import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../platform/http-types.js';

/** The name of the API token that authenticated the request (recorded as the event actor). */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<HttpRequest>().actor ?? 'unknown';
});
