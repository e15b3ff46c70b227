import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../platform/http-types.js';
import { ApiTokenService } from './api-token.service.js';

/** Routes served without a token: probes, metrics and the API documentation. */
export function isPublicPath(path: string): boolean {
  return (
    path.startsWith('/health/') ||
    path === '/metrics' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/docs-')
  );
}

/**
 * Global guard: every HTTP route needs a valid bearer token except the public ones. gRPC
 * handlers authenticate themselves from the call metadata (see StatusGrpcController).
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(ApiTokenService) private readonly tokens: ApiTokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (isPublicPath(request.path)) return true;
    const header = request.headers['authorization'];
    const principal = await this.tokens.authenticate(Array.isArray(header) ? header[0] : header);
    request.actor = principal.name;
    return true;
  }
}
