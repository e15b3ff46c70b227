import { Inject, Injectable } from '@nestjs/common';
import { IsNull, type DataSource } from 'typeorm';
import type { TokenScope } from '#contracts';
import { isJournalwireError, JournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ApiTokenEntity, tokenDigest } from '#persistence';
import { DATA_SOURCE, LOGGER } from '#platform';
import { AuthFailures } from './auth-failures.js';

export const MISSING_TOKEN_MESSAGE =
  'Missing API token: send "Authorization: Bearer <token>" (create one with `npm run token -- create NAME --scope read`)';
export const INVALID_TOKEN_MESSAGE = 'Invalid or revoked API token';
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_HEADER = 1024;

/** Who made a request: the API token, its scope, and where the request came from. */
export interface Principal {
  tokenId: string;
  name: string;
  scope: TokenScope;
  address: string;
}

/**
 * Bearer tokens, looked up by their sha256 in api_tokens; revoked and expired tokens are
 * refused, and failures are rate-limited per client address.
 */
@Injectable()
export class ApiTokenService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly failures: AuthFailures,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Accepts the raw Authorization header value (`Bearer <token>`) and the client address. */
  async authenticate(authorization: string | undefined, address: string): Promise<Principal> {
    this.failures.assertAllowed(address);
    try {
      return await this.lookUp(authorization, address);
    } catch (error) {
      if (!isJournalwireError(error, 'unauthorized')) throw error;
      this.logger.info({ clientAddress: address, reason: error.message }, 'authentication failed');
      await this.failures.fail(address);
      throw error;
    }
  }

  /** False once the token is revoked, expired or gone (an open gRPC watch then ends). */
  async isValid(tokenId: string): Promise<boolean> {
    const token = await this.dataSource
      .getRepository(ApiTokenEntity)
      .findOne({ where: { id: tokenId, revokedAt: IsNull() }, select: { id: true, expiresAt: true } });
    return token !== null && !isExpired(token);
  }

  private async lookUp(authorization: string | undefined, address: string): Promise<Principal> {
    if (!authorization?.trim()) throw new JournalwireError('unauthorized', MISSING_TOKEN_MESSAGE);
    const match = authorization.length <= MAX_HEADER ? /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw new JournalwireError('unauthorized', 'Malformed Authorization header: expected "Bearer <token>"');
    const repository = this.dataSource.getRepository(ApiTokenEntity);
    const token = await repository.findOne({ where: { tokenSha256: tokenDigest(match[1]!) } });
    if (!token || token.revokedAt) throw new JournalwireError('unauthorized', INVALID_TOKEN_MESSAGE);
    if (isExpired(token))
      throw new JournalwireError('unauthorized', `API token expired at ${token.expiresAt!.toISOString()}`);
    const now = Date.now();
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS)
      await repository.update({ id: token.id }, { lastUsedAt: new Date(now) });
    return { tokenId: token.id, name: token.name, scope: token.scope, address };
  }
}

function isExpired(token: Pick<ApiTokenEntity, 'expiresAt'>): boolean {
  return token.expiresAt !== null && token.expiresAt.getTime() <= Date.now();
}
