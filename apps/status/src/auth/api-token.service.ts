import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { JournalwireError } from '#errors';
import { ApiTokenEntity } from '#persistence';
import { DATA_SOURCE } from '../platform/tokens.js';

export const MISSING_TOKEN_MESSAGE =
  'Missing API token: send "Authorization: Bearer <token>" (create one with `npm run token -- create NAME`)';
export const INVALID_TOKEN_MESSAGE = 'Invalid or revoked API token';

/** Who made a request: the name of the API token. */
export interface Principal {
  tokenId: string;
  name: string;
}

/** Bearer tokens, looked up by their sha256 in api_tokens; revoked tokens are refused. */
@Injectable()
export class ApiTokenService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Accepts the raw Authorization header value (`Bearer <token>`). */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!authorization?.trim()) throw new JournalwireError('unauthorized', MISSING_TOKEN_MESSAGE);
    if (!match) throw new JournalwireError('unauthorized', 'Malformed Authorization header: expected "Bearer <token>"');
    const tokenSha256 = createHash('sha256').update(match[1]!).digest('hex');
    const token = await this.dataSource.getRepository(ApiTokenEntity).findOne({ where: { tokenSha256 } });
    if (!token || token.revokedAt) throw new JournalwireError('unauthorized', INVALID_TOKEN_MESSAGE);
    return { tokenId: token.id, name: token.name };
  }
}
