import { z } from 'zod';
import { credentialKeySection, databaseSection, loadConfig } from '#config';
import { ConnectorEntity, CredentialCipher, createDataSource } from '#persistence';
import { runCli } from './cli.js';

// npm run rotate-credentials: re-seals every connector password with CREDENTIAL_KEY, bound to its
// connector id, reading those sealed with an older key listed in CREDENTIAL_KEYS_PREVIOUS or in
// the old unbound format (v1). Safe to run twice.
runCli('rotate-credentials', async () => {
  const config = loadConfig(z.object({ ...databaseSection, ...credentialKeySection }));
  const cipher = new CredentialCipher(config.CREDENTIAL_KEY, config.CREDENTIAL_KEYS_PREVIOUS);
  const dataSource = await createDataSource(config.DATABASE_URL, { poolSize: 1 }).initialize();
  try {
    let rotated = 0;
    let current = 0;
    await dataSource.transaction(async (manager) => {
      const connectors = await manager.getRepository(ConnectorEntity).find({ lock: { mode: 'pessimistic_write' } });
      for (const connector of connectors) {
        if (!cipher.needsRotation(connector.passwordCiphertext)) {
          current++;
          continue;
        }
        const password = cipher.decryptForRotation(connector.passwordCiphertext, connector.id);
        const sealed = cipher.encrypt(password, connector.id);
        await manager.getRepository(ConnectorEntity).update({ id: connector.id }, { passwordCiphertext: sealed });
        rotated++;
      }
    });
    process.stdout.write(
      `re-sealed ${rotated} connector password(s) with key ${cipher.currentKeyId}; ${current} already current\n`,
    );
  } finally {
    await dataSource.destroy();
  }
});
