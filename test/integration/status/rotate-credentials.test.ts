/**
 * Issue 14.6: passwords sealed before connector binding (format v1) are refused by the
 * services and migrated by `npm run rotate-credentials`, which also moves them to the current key.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorEntity, CredentialCipher, sealLegacyV1 } from '#persistence';
import { insertConnector, TEST_CREDENTIAL_KEY } from '#test-support';
import { createPrivateDatabase, type PrivateDatabase } from '../../support/status-harness.js';

const run = promisify(execFile);

describe('npm run rotate-credentials', () => {
  let db: PrivateDatabase;

  beforeAll(async () => {
    db = await createPrivateDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('re-seals v1 and old-key passwords bound to their connector, and is idempotent', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const legacy = await insertConnector(db.dataSource, {
      mailboxName: `legacy-${randomUUID().slice(0, 6)}`,
      password: 'x',
    });
    const oldKeyed = await insertConnector(db.dataSource, {
      mailboxName: `old-${randomUUID().slice(0, 6)}`,
      password: 'x',
    });
    const current = await insertConnector(db.dataSource, {
      mailboxName: `cur-${randomUUID().slice(0, 6)}`,
      password: 'pw-3',
    });
    const repository = db.dataSource.getRepository(ConnectorEntity);
    await repository.update({ id: legacy.id }, { passwordCiphertext: sealLegacyV1(TEST_CREDENTIAL_KEY, 'pw-1') });
    await repository.update(
      { id: oldKeyed.id },
      { passwordCiphertext: new CredentialCipher(oldKey).encrypt('pw-2', oldKeyed.id) },
    );
    const cipher = new CredentialCipher(TEST_CREDENTIAL_KEY, [oldKey]);
    const sealed = async (id: string) => (await repository.findOneByOrFail({ id })).passwordCiphertext;
    const legacySealed = await sealed(legacy.id);
    expect(() => cipher.decrypt(legacySealed, legacy.id)).toThrow(/rotate-credentials/);

    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      CREDENTIAL_KEYS_PREVIOUS: oldKey,
    };
    const first = await run(process.execPath, ['dist/scripts/rotate-credentials.js'], { env });
    expect(first.stdout).toMatch(/re-sealed 2 connector password\(s\).*; 1 already current/);
    const strict = new CredentialCipher(TEST_CREDENTIAL_KEY);
    expect(strict.decrypt(await sealed(legacy.id), legacy.id)).toBe('pw-1');
    expect(strict.decrypt(await sealed(oldKeyed.id), oldKeyed.id)).toBe('pw-2');
    expect(strict.decrypt(await sealed(current.id), current.id)).toBe('pw-3');

    const second = await run(process.execPath, ['dist/scripts/rotate-credentials.js'], { env });
    expect(second.stdout).toMatch(/re-sealed 0 connector password\(s\).*; 3 already current/);
  });
});
