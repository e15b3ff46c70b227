import { describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { updateConnectorSchema } from './connector.schemas.js';
import { assertPasswordForDestinationChange, changedDestinationFields, CREDENTIAL_RULE } from './credential-rule.js';

const stored = {
  host: 'mail.contoso.com',
  port: 995,
  encrypted: true,
  tlsTransport: 'implicit',
  encryptionMode: 'strict',
  caCertificate: null,
  mailboxName: 'journal',
  description: 'x',
};

describe('the credential destination rule', () => {
  it('names every destination setting that changed, and nothing else', () => {
    expect(changedDestinationFields(stored, { ...stored, description: 'y' })).toEqual([]);
    expect(changedDestinationFields(stored, { ...stored, host: 'evil.example', port: 110, encrypted: false })).toEqual([
      'host',
      'port',
      'encrypted',
    ]);
    for (const field of ['tlsTransport', 'encryptionMode', 'caCertificate', 'mailboxName', 'minTlsVersion'])
      expect(changedDestinationFields(stored, { ...stored, [field]: 'other' })).toEqual([field]);
  });

  it('refuses a destination change without the password with a 400 naming the rule', () => {
    try {
      assertPasswordForDestinationChange(['host'], undefined);
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'validation')).toBe(true);
      expect((error as Error).message).toContain(CREDENTIAL_RULE);
      expect((error as { details: { fields: Array<{ field: string }> } }).details.fields[0]!.field).toBe('password');
    }
    expect(() => assertPasswordForDestinationChange(['host'], 'new-password')).not.toThrow();
    expect(() => assertPasswordForDestinationChange([], undefined)).not.toThrow();
  });

  it('refuses the redacted placeholder as a password', () => {
    const result = updateConnectorSchema.safeParse({ password: '[redacted]' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/placeholder/);
  });
});
