import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { CredentialCipher, sealLegacyV1 } from './credential-cipher.js';

const key = () => randomBytes(32).toString('base64');
const connector = randomUUID();

describe('CredentialCipher', () => {
  it('round-trips and never stores the plaintext', () => {
    const cipher = new CredentialCipher(key());
    const sealed = cipher.encrypt('s3cret pässword', connector);
    expect(sealed).not.toContain('s3cret');
    expect(sealed.startsWith('v2.')).toBe(true);
    expect(cipher.decrypt(sealed, connector)).toBe('s3cret pässword');
    expect(cipher.encrypt('x', connector)).not.toBe(cipher.encrypt('x', connector));
  });

  it('binds a ciphertext to its connector: copied onto another connector it does not open', () => {
    const cipher = new CredentialCipher(key());
    const sealed = cipher.encrypt('pw', connector);
    expect(() => cipher.decrypt(sealed, randomUUID())).toThrow(/failed authentication/);
  });

  it('refuses a truncated authentication tag', () => {
    const cipher = new CredentialCipher(key());
    const parts = cipher.encrypt('pw', connector).split('.');
    parts[3] = Buffer.from(parts[3]!, 'base64').subarray(0, 4).toString('base64');
    expect(() => cipher.decrypt(parts.join('.'), connector)).toThrow(/failed authentication/);
  });

  it('rotates: old ciphertexts open with a previous key and are flagged for re-sealing', () => {
    const oldKey = key();
    const sealedOld = new CredentialCipher(oldKey).encrypt('pw', connector);
    const rotated = new CredentialCipher(key(), [oldKey]);
    expect(rotated.decrypt(sealedOld, connector)).toBe('pw');
    expect(rotated.needsRotation(sealedOld)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('pw', connector))).toBe(false);
  });

  it('refuses an unbound v1 ciphertext except for rotation, which flags it', () => {
    const current = key();
    const legacy = sealLegacyV1(current, 'old-pw');
    const cipher = new CredentialCipher(current);
    expect(() => cipher.decrypt(legacy, connector)).toThrow(/rotate-credentials/);
    expect(cipher.needsRotation(legacy)).toBe(true);
    expect(cipher.decryptForRotation(legacy, connector)).toBe('old-pw');
  });

  it('refuses a ciphertext from an unknown key or one that was tampered with', () => {
    const sealed = new CredentialCipher(key()).encrypt('pw', connector);
    expect(() => new CredentialCipher(key()).decrypt(sealed, connector)).toThrow(/not configured/);
    const cipher = new CredentialCipher(key());
    const parts = cipher.encrypt('pw', connector).split('.');
    parts[4] = Buffer.from('tampered').toString('base64');
    try {
      cipher.decrypt(parts.join('.'), connector);
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'config-invalid')).toBe(true);
    }
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new CredentialCipher(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
