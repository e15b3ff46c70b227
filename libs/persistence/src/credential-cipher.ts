import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { JournalwireError } from '#errors';

/** v2 binds each ciphertext to its connector id (associated data); v1 had no binding. */
const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function associatedData(connectorId: string): Buffer {
  return Buffer.from(`journalwire-connector:${connectorId}`, 'utf8');
}

/**
 * AES-256-GCM for connector passwords at rest. The ciphertext names the key it was sealed
 * with (a short fingerprint), so keys can rotate: decrypt with any configured key, encrypt
 * with the current one. Each ciphertext is bound to its connector id as associated data, so a
 * ciphertext copied onto another connector row does not open; the tag is always 16 bytes.
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

  encrypt(plaintext: string, connectorId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(connectorId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.current.id,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      body.toString('base64'),
    ].join('.');
  }

  /** Opens a v2 ciphertext sealed for this connector. A v1 ciphertext is refused (run rotate-credentials). */
  decrypt(sealed: string, connectorId: string): string {
    const parts = this.parse(sealed);
    if (parts.version === LEGACY_VERSION) {
      throw new JournalwireError(
        'config-invalid',
        'Stored credential is in the old format without a connector binding (v1): run `npm run rotate-credentials`',
      );
    }
    return this.open(parts, associatedData(connectorId));
  }

  /** For rotate-credentials only: opens a v1 (unbound) or v2 ciphertext. */
  decryptForRotation(sealed: string, connectorId: string): string {
    const parts = this.parse(sealed);
    return this.open(parts, parts.version === LEGACY_VERSION ? null : associatedData(connectorId));
  }

  /** True when the ciphertext is not sealed with the current key in the current format. */
  needsRotation(sealed: string): boolean {
    const [version, keyId] = sealed.split('.');
    return version !== VERSION || keyId !== this.current.id;
  }

  private parse(sealed: string): {
    version: string;
    keyId: string;
    key: Buffer;
    iv: Buffer;
    tag: Buffer;
    body: Buffer;
  } {
    const [version, keyId, iv, tag, body, extra] = sealed.split('.');
    if ((version !== VERSION && version !== LEGACY_VERSION) || !keyId || !iv || !tag || body === undefined || extra) {
      throw new JournalwireError('config-invalid', 'Stored credential is not in a known format');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new JournalwireError(
        'config-invalid',
        `Stored credential was sealed with key ${keyId}, which is not configured (CREDENTIAL_KEY / CREDENTIAL_KEYS_PREVIOUS)`,
      );
    }
    const parts = {
      version,
      keyId,
      key,
      iv: Buffer.from(iv, 'base64'),
      tag: Buffer.from(tag, 'base64'),
      body: Buffer.from(body, 'base64'),
    };
    // GCM accepts truncated tags unless told otherwise: a short tag is a forgery made easier.
    if (parts.iv.length !== IV_BYTES || parts.tag.length !== TAG_BYTES) {
      throw new JournalwireError('config-invalid', `Stored credential failed authentication under key ${keyId}`);
    }
    return parts;
  }

  private open(
    parts: { keyId: string; key: Buffer; iv: Buffer; tag: Buffer; body: Buffer },
    aad: Buffer | null,
  ): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', parts.key, parts.iv, { authTagLength: TAG_BYTES });
      if (aad) decipher.setAAD(aad);
      decipher.setAuthTag(parts.tag);
      return Buffer.concat([decipher.update(parts.body), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new JournalwireError('config-invalid', `Stored credential failed authentication under key ${parts.keyId}`, {
        cause: error,
      });
    }
  }

  private static parseKey(encoded: string): { id: string; key: Buffer } {
    const key = Buffer.from(encoded.trim(), 'base64');
    if (key.length !== 32)
      throw new JournalwireError('config-invalid', 'A credential key must be 32 bytes, base64-encoded');
    return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
  }
}

/** Seals like CredentialCipher v1 did (no connector binding): for tests of the migration only. */
export function sealLegacyV1(keyBase64: string, plaintext: string): string {
  const key = Buffer.from(keyBase64.trim(), 'base64');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const id = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return [
    LEGACY_VERSION,
    id,
    iv.toString('base64'),
    cipher.getAuthTag().toString('base64'),
    body.toString('base64'),
  ].join('.');
}
