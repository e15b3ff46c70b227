import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { databaseSection, loadConfig } from '#config';
import { ApiTokenEntity, createDataSource } from '#persistence';
import { runCli } from './cli.js';

const USAGE = 'usage: npm run token -- create NAME | revoke ID | list';

// npm run token: creates, lists and revokes the bearer tokens of the status API.
runCli('token', async ([command, argument]) => {
  const config = loadConfig(z.object(databaseSection));
  const dataSource = await createDataSource(config.DATABASE_URL, { poolSize: 1 }).initialize();
  const tokens = dataSource.getRepository(ApiTokenEntity);
  try {
    if (command === 'create' && argument) {
      const secret = `jw_${randomBytes(24).toString('base64url')}`;
      const saved = await tokens.save(
        tokens.create({ name: argument, tokenSha256: createHash('sha256').update(secret).digest('hex') }),
      );
      process.stdout.write(`${JSON.stringify({ id: saved.id, name: saved.name, token: secret })}\n`);
      return 0;
    }
    if (command === 'revoke' && argument) {
      const result = await tokens.update({ id: argument }, { revokedAt: new Date() });
      if (!result.affected) throw new Error(`no token with id ${argument}`);
      process.stdout.write(`revoked ${argument}\n`);
      return 0;
    }
    if (command === 'list') {
      for (const token of await tokens.find({ order: { createdAt: 'ASC' } })) {
        process.stdout.write(
          `${JSON.stringify({ id: token.id, name: token.name, createdAt: token.createdAt, revokedAt: token.revokedAt })}\n`,
        );
      }
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } finally {
    await dataSource.destroy();
  }
});
