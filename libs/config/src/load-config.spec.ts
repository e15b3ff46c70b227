import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isJournalwireError } from '#errors';
import { bool, credentialKeySection, httpSection, kafkaSection, loadConfig } from './index.js';

const schema = z.object({ ...httpSection(3000), ...kafkaSection, FLAG: bool(false) });

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(schema, {});
    expect(config.HTTP_PORT).toBe(3000);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
    expect(config.FLAG).toBe(false);
  });

  it('names each bad variable and what it expects', () => {
    try {
      loadConfig(schema, { HTTP_PORT: '70000', KAFKA_BROKERS: 'no port', FLAG: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'config-invalid')).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain('HTTP_PORT: expected a TCP port 1-65535');
      expect(message).toContain('KAFKA_BROKERS: expected host:port');
      expect(message).toContain('FLAG: expected true or false');
    }
  });

  it('reports a missing required variable by name', () => {
    expect(() => loadConfig(z.object({ SECRET: z.string() }), {})).toThrow(/SECRET: is required/);
  });

  it('parses previous credential keys once, into a list of checked keys', () => {
    const keys = z.object(credentialKeySection);
    const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
    const config = loadConfig(keys, { CREDENTIAL_KEY: key(1), CREDENTIAL_KEYS_PREVIOUS: ` ${key(2)}, ,${key(3)} ` });
    expect(config.CREDENTIAL_KEYS_PREVIOUS).toEqual([key(2), key(3)]);
    expect(loadConfig(keys, { CREDENTIAL_KEY: key(1) }).CREDENTIAL_KEYS_PREVIOUS).toEqual([]);
    expect(() => loadConfig(keys, { CREDENTIAL_KEY: key(1), CREDENTIAL_KEYS_PREVIOUS: 'short' })).toThrow(
      /CREDENTIAL_KEYS_PREVIOUS/,
    );
  });
});
