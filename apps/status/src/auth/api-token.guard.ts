import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TokenScope } from '#contracts';
import type { HttpRequest } from '../http/http-types.js';
import { ApiTokenService } from './api-token.service.js';
import { assertScope, defaultScopeOf, REQUIRED_SCOPE } from './scopes.js';

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

export function clientAddressOf(request: HttpRequest): string {
  return request.ip ?? 'unknown';
}

/**
 * Global guard: every HTTP route needs a valid bearer token with the route's scope, except the
 * public ones. gRPC handlers authenticate themselves from the call metadata (StatusGrpcController).
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: ApiTokenService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (isPublicPath(request.path)) return true;
    const header = request.headers['authorization'];
    const principal = await this.tokens.authenticate(
      Array.isArray(header) ? header[0] : header,
      clientAddressOf(request),
    );
    request.principal = principal;
    const required =
      this.reflector.getAllAndOverride<TokenScope | undefined>(REQUIRED_SCOPE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? defaultScopeOf(request.method);
    assertScope(principal.scope, required);
    return true;
  }
}
