import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TOKEN_SCOPES, type TokenScope } from '#contracts';
import { databaseSection, loadConfig } from '#config';
import {
  ApiTokenEntity,
  createApiToken,
  createDataSource,
  revokeApiToken,
  toApiTokenView,
  type AuditActor,
} from '#persistence';
import { runCli } from './cli.js';

const USAGE = [
  'usage: npm run token -- create NAME --scope read|operate|admin [--expires-in-days N | --expires-at ISO-TIME]',
  '       npm run token -- list',
  '       npm run token -- revoke ID',
].join('\n');

const CLI_ACTOR: AuditActor = { tokenId: null, name: 'cli' };

class UsageError extends Error {}

function expiryOf(values: { 'expires-in-days'?: string; 'expires-at'?: string }): Date | null {
  if (values['expires-in-days'] !== undefined && values['expires-at'] !== undefined)
    throw new UsageError('give --expires-in-days or --expires-at, not both');
  if (values['expires-in-days'] !== undefined) {
    const days = Number(values['expires-in-days']);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--expires-in-days: expected 1-3650');
    return new Date(Date.now() + days * 86_400_000);
  }
  if (values['expires-at'] !== undefined) {
    const at = new Date(values['expires-at']);
    if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now())
      throw new UsageError('--expires-at: expected a future ISO time such as 2027-01-31T00:00:00Z');
    return at;
  }
  return null;
}

// npm run token: creates, lists and revokes the bearer tokens of the status API (audited as "cli").
runCli('token', async (argv) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        scope: { type: 'string' },
        'expires-in-days': { type: 'string' },
        'expires-at': { type: 'string' },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const [command, argument] = parsed.positionals;
  const config = loadConfig(z.object(databaseSection));
  const dataSource = await createDataSource(config.DATABASE_URL, { poolSize: 1 }).initialize();
  try {
    if (command === 'create' && argument) {
      const scope = parsed.values.scope;
      if (!TOKEN_SCOPES.includes(scope as TokenScope))
        throw new UsageError(`--scope: expected one of ${TOKEN_SCOPES.join(', ')}`);
      if (argument.length > 100) throw new UsageError('NAME: expected at most 100 characters');
      const expiresAt = expiryOf(parsed.values);
      const { token, secret } = await dataSource.transaction((manager) =>
        createApiToken(manager, { name: argument, scope: scope as TokenScope, expiresAt }, CLI_ACTOR),
      );
      process.stdout.write(`${JSON.stringify({ ...token, token: secret })}\n`);
      return 0;
    }
    if (command === 'revoke' && argument) {
      const token = await dataSource.transaction((manager) => revokeApiToken(manager, argument, CLI_ACTOR));
      if (!token) throw new Error(`no token with id ${argument}`);
      process.stdout.write(`revoked ${argument}\n`);
      return 0;
    }
    if (command === 'list') {
      const tokens = await dataSource.getRepository(ApiTokenEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
      for (const token of tokens) process.stdout.write(`${JSON.stringify(toApiTokenView(token))}\n`);
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`token: ${error.message}\n${USAGE}\n`);
    return 2;
  } finally {
    await dataSource.destroy();
  }
});
