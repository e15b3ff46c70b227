import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { JournalwireError } from '#errors';

const VERSION = 'v1';

/**
 * AES-256-GCM for connector passwords at rest. The ciphertext names the key it was sealed
 * with (a short fingerprint), so keys can rotate: decrypt with any configured key, encrypt
 * with the current one.
 */
export class CredentialCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(currentKeyBase64: string, previousKeysBase64: string[] = []) {
    this.current = CredentialCipher.parseKey(currentKeyBase64);
    for (const encoded of [currentKeyBase64, ...previousKeysBase64]) {
      const { id, key } = CredentialCipher.parseKey(encoded);
      this.keys.set(id, key);
    }
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.current.id,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      body.toString('base64'),
    ].join('.');
  }

  decrypt(sealed: string): string {
    const [version, keyId, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !keyId || !iv || !tag || body === undefined) {
      throw new JournalwireError('config-invalid', 'Stored credential is not in a known format');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new JournalwireError(
        'config-invalid',
        `Stored credential was sealed with key ${keyId}, which is not configured (CREDENTIAL_KEY / CREDENTIAL_KEYS_PREVIOUS)`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new JournalwireError('config-invalid', `Stored credential failed authentication under key ${keyId}`, {
        cause: error,
      });
    }
  }

  /** True when the ciphertext is not sealed with the current key (a rotation candidate). */
  needsRotation(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }

  private static parseKey(encoded: string): { id: string; key: Buffer } {
    const key = Buffer.from(encoded.trim(), 'base64');
    if (key.length !== 32)
      throw new JournalwireError('config-invalid', 'A credential key must be 32 bytes, base64-encoded');
    return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
  }
}
