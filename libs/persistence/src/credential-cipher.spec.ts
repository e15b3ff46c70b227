import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { CredentialCipher } from './credential-cipher.js';

const key = () => randomBytes(32).toString('base64');

describe('CredentialCipher', () => {
  it('round-trips and never stores the plaintext', () => {
    const cipher = new CredentialCipher(key());
    const sealed = cipher.encrypt('s3cret pässword');
    expect(sealed).not.toContain('s3cret');
    expect(cipher.decrypt(sealed)).toBe('s3cret pässword');
    expect(cipher.encrypt('x')).not.toBe(cipher.encrypt('x'));
  });

  it('rotates: old ciphertexts open with a previous key and are flagged for re-sealing', () => {
    const oldKey = key();
    const sealedOld = new CredentialCipher(oldKey).encrypt('pw');
    const rotated = new CredentialCipher(key(), [oldKey]);
    expect(rotated.decrypt(sealedOld)).toBe('pw');
    expect(rotated.needsRotation(sealedOld)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('pw'))).toBe(false);
  });

  it('refuses a ciphertext from an unknown key or one that was tampered with', () => {
    const sealed = new CredentialCipher(key()).encrypt('pw');
    expect(() => new CredentialCipher(key()).decrypt(sealed)).toThrow(/not configured/);
    const cipher = new CredentialCipher(key());
    const parts = cipher.encrypt('pw').split('.');
    parts[4] = Buffer.from('tampered').toString('base64');
    try {
      cipher.decrypt(parts.join('.'));
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'config-invalid')).toBe(true);
    }
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new CredentialCipher(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
