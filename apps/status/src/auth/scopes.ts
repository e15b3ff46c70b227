import { SetMetadata } from '@nestjs/common';
import { TOKEN_SCOPES, type TokenScope } from '#contracts';
import { JournalwireError } from '#errors';

export const REQUIRED_SCOPE = 'journalwire:required-scope';

/**
 * The scope a route needs. Without it: `read` for GET/HEAD, `admin` for anything else, so a
 * new mutating route is admin-only until someone decides otherwise.
 */
export const RequireScope = (scope: TokenScope) => SetMetadata(REQUIRED_SCOPE, scope);

export function defaultScopeOf(method: string): TokenScope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'admin';
}

/** Scopes nest: admin ⊃ operate ⊃ read. */
export function scopeAllows(granted: TokenScope, required: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(granted) >= TOKEN_SCOPES.indexOf(required);
}

export function assertScope(granted: TokenScope, required: TokenScope): void {
  if (!scopeAllows(granted, required))
    throw new JournalwireError(
      'forbidden',
      `This API token has scope "${granted}"; this operation needs "${required}"${required === 'admin' ? '' : ' or higher'}`,
      { details: { scope: granted, required } },
    );
}
